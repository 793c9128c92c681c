/** The part of openapi-to-postmanv2 (no types of its own) that the Postman specs use. */
declare module 'openapi-to-postmanv2' {
  export interface ConversionResult {
    result: boolean;
    reason?: string;
    output: Array<{ type: string; data: object }>;
  }
  export function convertV2(
    input: { type: 'string' | 'json'; data: string | object },
    options: Record<string, unknown>,
    callback: (error: Error | null, result: ConversionResult) => void,
  ): void;
}
