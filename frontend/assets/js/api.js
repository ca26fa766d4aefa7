// Calls to the calculator API (same origin, through nginx), with a time limit.
// Every failure becomes an ApiError whose `kind` says what went wrong:
//   "problem"    the server answered with application/problem+json (see `problem`)
//   "http"       the server answered an error without a problem document
//   "timeout"    no answer within the time limit
//   "network"    no answer at all (server or connection down)

// One time limit for every request, status checks included: a backend slow enough to
// time a calculation out is the backend the status calls unavailable, and no sooner.
export const REQUEST_TIMEOUT_MS = 5000;

export class ApiError extends Error {
  constructor(kind, { status = 0, problem = null, requestId = null } = {}) {
    super(problem?.detail || kind);
    this.name = "ApiError";
    this.kind = kind;
    this.status = status;
    this.problem = problem;
    this.requestId = problem?.request_id || requestId;
  }
}

/** Fetch JSON from the API; resolves to { data, servedBy, requestId, elapsedMs }. */
export async function request(path, { method = "GET", body, timeoutMs = REQUEST_TIMEOUT_MS, signal } = {}) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const cancel = () => controller.abort();
  signal?.addEventListener("abort", cancel, { once: true });
  const started = performance.now();

  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? { Accept: "application/json" } : {
        Accept: "application/json",
        "Content-Type": "application/json",
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      signal: controller.signal,
    });
    const meta = {
      status: response.status,
      requestId: response.headers.get("X-Request-ID"),
      servedBy: response.headers.get("X-Served-By"),
    };
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json().catch(() => null) : null;
    if (!response.ok) {
      if (data && typeof data === "object" && typeof data.code === "string") {
        throw new ApiError("problem", { ...meta, problem: data });
      }
      throw new ApiError("http", meta);
    }
    if (data === null) {
      throw new ApiError("http", meta);
    }
    return { data, ...meta, elapsedMs: Math.round(performance.now() - started) };
  } catch (error) {
    if (error instanceof ApiError) throw error;
    if (error?.name === "AbortError") {
      if (timedOut) throw new ApiError("timeout");
      throw error; // cancelled by the caller: not a failure to report
    }
    throw new ApiError("network");
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", cancel);
  }
}

export function evaluate(expression, precision, signal) {
  return request("/api/v1/evaluate", {
    method: "POST",
    body: precision ? { expression, precision } : { expression },
    signal,
  });
}

export function info() {
  return request("/api/v1/info", {});
}

export function operations() {
  return request("/api/v1/operations", {});
}
