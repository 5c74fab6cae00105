/**
 * KV accounting unit: a paged pool hands out positions in whole blocks (the native CPU pool's blocks hold 16
 * positions: POOL_BLOCK_SIZE in @gptj/tensor), so a sequence of length L holds roundToBlocks(L) positions of its
 * freeTokens. The Scheduler reserves in these units, and SessionSequencePool counts the same way, so a request
 * admitted against freeTokens can never run out of blocks mid-run.
 */
export const KV_BLOCK = 16;

export const roundToBlocks = (positions: number): number => Math.ceil(positions / KV_BLOCK) * KV_BLOCK;
