import { chainIds } from './chain-id.js';
import type { ContainerInput, ImageInput, LayerFacts } from './types.js';

/** One layer of the trie over all images: a layer shared by N images is one node. */
export interface LayerNode {
  chainId: string;
  diffId: string;
  parent: string | undefined;
  children: string[];
  /** 0 for a base layer. */
  depth: number;
  size: number;
  measuredSize: number | undefined;
  diskBytes: number | undefined;
  path: string | undefined;
  createdBy: string | undefined;
  /** Images whose chain contains this layer. */
  images: string[];
  /** Images whose top layer this is. */
  topOf: string[];
  /** Containers whose image's top layer this is. */
  containers: string[];
}

export interface LayerGraph {
  layers: Map<string, LayerNode>;
  /** Base layers (no parent), in first-seen order. */
  roots: string[];
  /** chainIds of each image, bottom to top. */
  imageChains: Map<string, readonly string[]>;
}

/**
 * Builds the trie from the images' diffIDs. Which layers are shared is decided here from the chains,
 * never copied from the engine: two images share a layer exactly when they share its chainID.
 */
export function buildLayerGraph(
  images: readonly ImageInput[],
  facts: ReadonlyMap<string, LayerFacts>,
  containers: readonly ContainerInput[] = [],
): LayerGraph {
  const layers = new Map<string, LayerNode>();
  const roots: string[] = [];
  const imageChains = new Map<string, readonly string[]>();

  for (const image of images) {
    const chain = chainIds(image.diffIds);
    imageChains.set(image.id, chain);
    chain.forEach((chainId, i) => {
      let node = layers.get(chainId);
      if (!node) {
        const parent = i === 0 ? undefined : chain[i - 1];
        const fact = facts.get(chainId);
        node = {
          chainId,
          diffId: image.diffIds[i] ?? '',
          parent,
          children: [],
          depth: i,
          size: fact?.size ?? 0,
          measuredSize: fact?.measuredSize,
          diskBytes: fact?.diskBytes,
          path: fact?.path,
          createdBy: image.layerCommands[i],
          images: [],
          topOf: [],
          containers: [],
        };
        layers.set(chainId, node);
        if (parent === undefined) roots.push(chainId);
        else layers.get(parent)?.children.push(chainId);
      } else if (node.createdBy === undefined) {
        node.createdBy = image.layerCommands[i];
      }
      if (!node.images.includes(image.id)) node.images.push(image.id);
    });
    // An ID listed twice (an engine's list read across a change) is still one image.
    const topOf = layers.get(chain.at(-1) ?? '')?.topOf;
    if (topOf && !topOf.includes(image.id)) topOf.push(image.id);
  }

  for (const c of containers) {
    const top = imageChains.get(c.imageId)?.at(-1);
    if (top) layers.get(top)?.containers.push(c.id);
  }
  return { layers, roots, imageChains };
}

/** A layer is shared when more than one image references it (Docker's own rule for SharedSize). */
export function isShared(node: LayerNode): boolean {
  return node.images.length > 1;
}
