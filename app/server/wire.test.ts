import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeWire, encodeWire } from '../contract.ts';

describe('wire format', () => {
  it('round-trips base64 of every length against Node', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      const text = bytesToBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(base64ToBytes(text)).toEqual(bytes);
    }
  });

  it('keeps typed arrays typed inside JSON', () => {
    const value = { name: 'x', image: new Uint8Array([0, 255, 7]), glyphs: Float32Array.from([0, 0.5, 1, 0.1]), nested: [{ f: new Float32Array([3.25]) }] };
    const back = decodeWire(encodeWire(value)) as typeof value;
    expect(back.image).toBeInstanceOf(Uint8Array);
    expect(back.glyphs).toBeInstanceOf(Float32Array);
    expect(back).toEqual(value);
  });

  it('sends a Node Buffer as bytes, not as its toJSON object', () => {
    const back = decodeWire(encodeWire({ image: Buffer.from([1, 2, 3]) })) as { image: Uint8Array };
    expect(back.image).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.image)).toEqual([1, 2, 3]);
    expect(decodeWire(encodeWire(Buffer.from([9])))).toEqual(new Uint8Array([9]));
  });

  it('refuses malformed base64', () => {
    expect(() => decodeWire('{"image":{"$u8":"abc"}}')).toThrow(/multiple of 4/);
    expect(() => decodeWire('{"image":{"$u8":"ab!="}}')).toThrow(/bad character/);
    expect(() => decodeWire('{"g":{"$f32":"AAA="}}')).toThrow(/whole number/);
  });
});
