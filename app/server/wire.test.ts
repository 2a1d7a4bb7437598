import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeWire, decodeWireBody, encodeWire } from '../contract.ts';

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

  it('decodes a body from its bytes exactly as decodeWire decodes its text', () => {
    const bytesOf = (text: string) => new TextEncoder().encode(text);
    const same = (text: string) => expect(decodeWireBody(bytesOf(text))).toEqual(decodeWire(text));
    const value = {
      name: 'été "quoted" \\ {"$u8":"AAAA"}',
      image: new Uint8Array([0, 255, 7, 9]),
      glyphs: Float32Array.from([0, 0.5, 1]),
      list: [{ f: new Float32Array([3.25]) }, 5],
    };
    const back = decodeWireBody(bytesOf(encodeWire(value))) as typeof value;
    expect(back).toEqual(value);
    expect(back.image).toBeInstanceOf(Uint8Array);
    expect(back.glyphs).toBeInstanceOf(Float32Array);
    // Other senders' JSON: spaces, an escaped slash in the base64, a second key, a $u8 that is a key's value.
    same('{ "image" : { "$u8" : "AP8H" } , "n": 1 }');
    same('{"image":{"$u8":"A\\/8H"}}');
    same('{"image":{"$u8":"AP8H","x":1}}');
    same('{"k":"$u8","v":["$u8",{"$f32":"AAAAAA=="}]}');
    same('{"a":"\\"","image":{"$u8":"AP8H"}}');
    same('[]');
    // A client's own placeholder-looking key is plain data.
    same('{"$hwr-blob-x":0}');
    expect(() => decodeWireBody(bytesOf('{"image":{"$u8":"ab!="}}'))).toThrow(/bad character/);
    expect(() => decodeWireBody(bytesOf('{"image":{"$u8":"abc"}}'))).toThrow(/multiple of 4/);
    expect(() => decodeWireBody(bytesOf('{"g":{"$f32":"AAA="}}'))).toThrow(/whole number/);
    expect(() => decodeWireBody(bytesOf('{"image":{"$u8":"AP8H"'))).toThrow(SyntaxError);
  });

  it('decodes a large image from the body with no copy of it as text', () => {
    const image = Uint8Array.from({ length: 3_000_001 }, (_, i) => (i * 7919) & 255);
    const body = new TextEncoder().encode(encodeWire({ name: 'big.png', image }));
    const back = decodeWireBody(body) as { image: Uint8Array };
    expect(Buffer.from(back.image).equals(Buffer.from(image))).toBe(true);
    // Its own buffer, not a view into the body.
    expect(back.image.buffer.byteLength).toBe(image.length);
  });
});
