export type { ImageInput as ModelImage } from '../model/types.js';
