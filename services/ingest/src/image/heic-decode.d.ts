// heic-decode ships no type declarations; this covers the part of its API used here.
declare module 'heic-decode' {
  interface HeicDecodedImage {
    width: number;
    height: number;
    /** Interleaved RGBA, 8 bits per channel, already rotated/mirrored per irot/imir. */
    data: Uint8ClampedArray;
  }

  interface HeicImageHandle {
    width: number;
    height: number;
    decode(): Promise<HeicDecodedImage>;
  }

  type HeicImageList = HeicImageHandle[] & { dispose(): void };

  interface HeicDecode {
    (input: { buffer: Uint8Array }): Promise<HeicDecodedImage>;
    all(input: { buffer: Uint8Array }): Promise<HeicImageList>;
  }

  const decode: HeicDecode;
  export = decode;
}
