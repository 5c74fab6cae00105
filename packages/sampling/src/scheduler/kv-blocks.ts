/**
 * KV accounting unit: a paged pool hands out positions in whole blocks of its `blockSize` (SequencePool.blockSize;
 * the native CPU pool's is POOL_BLOCK_SIZE in @gptj/tensor), so a sequence of length L holds roundToBlocks(L) of its
 * freeTokens. The Scheduler reserves in these units, so a request admitted against freeTokens can never run out of
 * blocks mid-run.
 */
export const roundToBlocks = (positions: number, blockSize: number): number => Math.ceil(positions / blockSize) * blockSize;
