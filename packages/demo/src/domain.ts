import { type DigitSet, IMAGE_SIDE, PIXELS } from './mnist.ts';
import { SeededRandom } from './random.ts';

/**
 * Domain B, the fine-tuning and test domain: every digit moved two pixels to the right (zeros
 * fill the gap) plus Gaussian pixel noise, clipped to [0, 1] like a real image. A fixed, visible
 * transform that an MLP trained on domain A (the plain digits) only half survives.
 */
export interface DomainShift {
  shiftX: number;
  shiftY: number;
  noiseSigma: number;
}

export const DOMAIN_B: DomainShift = { shiftX: 2, shiftY: 0, noiseSigma: 0.2 };

export function toDomainB(set: DigitSet, shift: DomainShift, seed: number, stream: number): DigitSet {
  const rand = new SeededRandom(seed, stream);
  const images = new Float32Array(set.count * PIXELS);
  for (let i = 0; i < set.count; i++) {
    const base = i * PIXELS;
    for (let y = 0; y < IMAGE_SIDE; y++) {
      const sy = y - shift.shiftY;
      for (let x = 0; x < IMAGE_SIDE; x++) {
        const sx = x - shift.shiftX;
        const inside = sx >= 0 && sx < IMAGE_SIDE && sy >= 0 && sy < IMAGE_SIDE;
        const v = (inside ? set.images[base + sy * IMAGE_SIDE + sx]! : 0) + shift.noiseSigma * rand.normal();
        images[base + y * IMAGE_SIDE + x] = Math.min(Math.max(v, 0), 1);
      }
    }
  }
  return { images, labels: set.labels, count: set.count };
}
