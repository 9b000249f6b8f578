// After an upgrade failed, find out why: a browser's WebSocket hides the HTTP status of a refused
// upgrade (401, 403) and a refused subprotocol. In Node, the same upgrade request is repeated with
// node:http and its answer read; in a browser, a plain GET to the same URL is tried (its status is only
// meaningful if the gateway checks the token before it asks for an Upgrade header, and only same-origin
// or with CORS). Returns undefined when nothing could be learnt.

export interface ProbeResult {
  /** HTTP status of the answer (101 when the upgrade succeeded). */
  status?: number;
  /** The subprotocol the server selected on a 101. */
  protocol?: string;
  /** The server could not be reached at all. */
  unreachable?: boolean;
}

const PROBE_TIMEOUT_MS = 3000;

export async function probeHandshake(url: string, subprotocol: string): Promise<ProbeResult | undefined> {
  const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string";
  try {
    return isNode ? await probeNode(url, subprotocol) : await probeFetch(url);
  } catch {
    return undefined;
  }
}

async function probeNode(url: string, subprotocol: string): Promise<ProbeResult | undefined> {
  const u = new URL(url);
  const secure = u.protocol === "wss:";
  const moduleName = secure ? "node:https" : "node:http"; // a variable: bundlers leave it alone
  const http = (await import(/* @vite-ignore */ moduleName)) as typeof import("node:http");
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  return new Promise<ProbeResult | undefined>((resolve) => {
    const req = http.request({
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      port: u.port || (secure ? 443 : 80),
      path: u.pathname + u.search,
      method: "GET",
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Protocol": subprotocol,
        "User-Agent": "fanwire-client-probe",
      },
      timeout: PROBE_TIMEOUT_MS,
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      const selected = res.headers["sec-websocket-protocol"];
      resolve({ status: 101, protocol: Array.isArray(selected) ? selected.join(",") : (selected ?? "") });
    });
    req.on("response", (res) => {
      res.resume();
      resolve({ status: res.statusCode });
      req.destroy();
    });
    req.on("timeout", () => {
      req.destroy();
      resolve(undefined);
    });
    req.on("error", (e: NodeJS.ErrnoException) => {
      resolve(e.code === "ECONNREFUSED" || e.code === "ENOTFOUND" || e.code === "EHOSTUNREACH"
        ? { unreachable: true } : undefined);
    });
    req.end();
  });
}

async function probeFetch(url: string): Promise<ProbeResult | undefined> {
  const httpUrl = url.replace(/^ws/, "http");
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), PROBE_TIMEOUT_MS);
  try {
    const res = await fetch(httpUrl, { method: "GET", cache: "no-store", signal: controller.signal });
    // Only 401 and 403 say something about the upgrade; 400 is the answer to a GET without Upgrade.
    return res.status === 401 || res.status === 403 ? { status: res.status } : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
