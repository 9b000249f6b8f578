// Wire encoding of fanwire.v1 frames for both subprotocols, with the classes generated from
// protocol/src/main/proto/fanwire/v1/fanwire.proto at build time (src/gen, not committed).
// JSON is the canonical proto3 JSON mapping (PROTOCOL.md §2.2); a Message's `data` (a JSON value) is
// taken from the parsed text as is instead of going through google.protobuf.Value.

import { create, fromBinary, fromJson, toBinary, toJsonString, type JsonValue } from "@bufbuild/protobuf";
import {
  ClientFrameSchema,
  ServerFrameSchema,
  type ClientFrame,
  type ServerFrame,
} from "./gen/fanwire/v1/fanwire_pb.js";
import { ProtocolError } from "./errors.js";

export type Format = "json" | "proto";

export const SUBPROTOCOL: Record<Format, string> = {
  json: "fanwire.v1.json",
  proto: "fanwire.v1.proto",
};

export type ClientKind = ClientFrame["kind"];

/** A decoded server frame; `data` is the JSON value of a JSON-subprotocol Message's `data` field. */
export interface Decoded {
  frame: ServerFrame;
  data?: JsonValue;
  hasData: boolean;
}

export function encode(format: Format, id: bigint, kind: ClientKind): string | Uint8Array {
  const frame = create(ClientFrameSchema, { id, kind });
  return format === "json" ? toJsonString(ClientFrameSchema, frame) : toBinary(ClientFrameSchema, frame);
}

export function decode(format: Format, raw: unknown): Decoded {
  try {
    if (format === "json") {
      if (typeof raw !== "string") throw new Error("a binary message on fanwire.v1.json");
      const json = JSON.parse(raw);
      let data: JsonValue | undefined;
      let hasData = false;
      const message = json?.message;
      if (message && typeof message === "object" && "data" in message) {
        data = message.data;
        hasData = data !== null && data !== undefined;
        delete message.data;
      }
      return { frame: fromJson(ServerFrameSchema, json, { ignoreUnknownFields: true }), data, hasData };
    }
    if (typeof raw === "string") throw new Error("a text message on fanwire.v1.proto");
    const bytes = raw instanceof Uint8Array ? raw : new Uint8Array(raw as ArrayBuffer);
    return { frame: fromBinary(ServerFrameSchema, bytes), hasData: false };
  } catch (e) {
    throw new ProtocolError(`undecodable server frame (${format}): ${(e as Error).message}`, { cause: e });
  }
}
