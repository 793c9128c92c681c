import newman, { type NewmanRunExecution, type NewmanRunSummary } from 'newman';
import { convertV2 } from 'openapi-to-postmanv2';

/**
 * The OpenAPI document as Postman imports it (the same converter, v2, as Postman's importer), with
 * "Parameter generation: Example": bodies and path ids from the document's examples, not `<string>`.
 */
export function importLikePostman(openApiText: string): Promise<object> {
  return new Promise((resolve, reject) =>
    convertV2(
      { type: 'string', data: openApiText },
      { parametersResolution: 'Example' },
      (error, conversion) => {
        if (error) reject(error);
        else if (!conversion.result) reject(new Error(`conversion failed: ${conversion.reason}`));
        else resolve(conversion.output[0].data);
      },
    ),
  );
}

export interface NewmanRequest {
  name: string;
  url: string;
  body: string | undefined;
  status: number | undefined;
  error: string | undefined;
}

const asRequest = (execution: NewmanRunExecution): NewmanRequest => ({
  name: execution.item.name,
  url: execution.request.url.toString(),
  body: execution.request.body?.raw,
  status: execution.response?.code,
  error: (execution as { requestError?: Error }).requestError?.message,
});

/** newman, as `newman run` would, with the given environment variables; no console report. */
export function runWithNewman(
  collection: object | string,
  env: Record<string, string> = {},
): Promise<{ summary: NewmanRunSummary; requests: NewmanRequest[] }> {
  return new Promise((resolve, reject) =>
    newman.run(
      {
        collection,
        envVar: Object.entries(env).map(([key, value]) => ({ key, value })),
        reporters: [],
        // A live stream never ends by itself; no request of these collections may hang the run.
        timeoutRequest: 10_000,
      },
      (error, summary) => {
        if (error) reject(error);
        else resolve({ summary, requests: summary.run.executions.map(asRequest) });
      },
    ),
  );
}
