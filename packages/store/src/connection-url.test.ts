import { describe, expect, it } from "vitest";
import { parsePostgresUrl, redactPostgresUrl } from "./connection-url.js";
import { StoreConfigError } from "./errors.js";

describe("PostgreSQL URLs", () => {
  it("describes the target without the password", () => {
    expect(parsePostgresUrl("postgres://gw:p%40ss@db.internal:6543/gangway").description).toBe(
      "gw@db.internal:6543/gangway",
    );
    expect(parsePostgresUrl("postgresql://db/gangway").description).toBe("db:5432/gangway");
    expect(parsePostgresUrl("postgres:///gangway?host=/run/postgresql").description).toBe(
      "/run/postgresql:5432/gangway",
    );
  });

  it("redacts the password for logs", () => {
    expect(redactPostgresUrl("postgres://gw:hunter2@db/gangway")).toBe("postgres://gw:***@db/gangway");
    expect(redactPostgresUrl("postgres://db/gangway")).toBe("postgres://db/gangway");
    expect(redactPostgresUrl("nonsense hunter2")).toBe("(unparseable URL)");
  });

  it("rejects what is not a PostgreSQL URL", () => {
    expect(() => parsePostgresUrl("localhost:5432")).toThrow(StoreConfigError);
    expect(() => parsePostgresUrl("http://localhost/db")).toThrow(/postgres:\/\//);
  });
});
