import { createInterface } from 'node:readline/promises';

/** The typed confirmation of everything that deletes: true only for the word "yes". */
export async function askYes(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(question);
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}
