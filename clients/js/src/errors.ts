// Typed errors: every failure the client reports is a FanwireError with a stable `code`.

/** Base class of every error this package reports. `code` is stable and machine-readable. */
export class FanwireError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FanwireError";
    this.code = code;
  }
}

/** A URL given to the constructor is not a ws:// or wss:// URL. Thrown at construction. */
export class InvalidUrlError extends FanwireError {
  readonly url: string;
  constructor(url: string, why: string) {
    super("INVALID_URL", `invalid Fanwire URL ${JSON.stringify(url)}: ${why}`);
    this.name = "InvalidUrlError";
    this.url = url;
  }
}

/**
 * The gateway refused the token: HTTP 401 at the upgrade (code UNAUTHENTICATED), or a Refresh that was
 * refused (code UNAUTHENTICATED or FORBIDDEN). The client calls the token supplier again on its next attempt.
 */
export class AuthError extends FanwireError {
  readonly status?: number;
  constructor(code: string, message: string, status?: number) {
    super(code, message);
    this.name = "AuthError";
    this.status = status;
  }
}

/**
 * The upgrade was refused for another reason than the token (`status` when known: 403 origin not
 * allowed, 400, 404, ...), or it failed and the status could not be learnt (code HANDSHAKE_FAILED).
 */
export class HandshakeError extends FanwireError {
  readonly status?: number;
  constructor(code: string, message: string, status?: number) {
    super(code, message);
    this.name = "HandshakeError";
    this.status = status;
  }
}

/** The server does not speak the protocol offered: wrong subprotocol selected, or an undecodable frame. */
export class ProtocolError extends FanwireError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("PROTOCOL_ERROR", message, options);
    this.name = "ProtocolError";
  }
}

/**
 * The gateway answered a request with an error reply. `code` is the gateway's (FORBIDDEN, NOT_FOUND,
 * BAD_REQUEST, LIMIT_EXCEEDED, UNAVAILABLE, UNAUTHENTICATED, or a code added later).
 */
export class RequestError extends FanwireError {
  readonly channel?: string;
  constructor(code: string, message: string, channel?: string) {
    super(code, message);
    this.name = "RequestError";
    this.channel = channel;
  }
}

/**
 * The connection is not there or went away: NOT_CONNECTED (publish while disconnected), CONNECTION_LOST
 * (a request was in flight when the connection closed; a publish may or may not have been written),
 * TIMEOUT (no reply in time), LIVENESS (the server stopped answering), CLOSED (client closed).
 */
export class ConnectionError extends FanwireError {
  readonly closeCode?: number;
  constructor(code: string, message: string, closeCode?: number) {
    super(code, message);
    this.name = "ConnectionError";
    this.closeCode = closeCode;
  }
}
