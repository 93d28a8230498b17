import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { openStore } from "@gangway/store";
import type { ProsodyServer } from "@gangway/testing";
import type { StoreSpec } from "./bench-host.js";
import { runPool } from "./bench-support.js";

/**
 * What scale.bench.ts finds in place before the gateway starts, as after a previous run: users
 * and their contacts in the gateway's store, and (optionally) their XMPP accounts on Prosody with
 * every contact already in their roster. Written in bulk (one SQL statement per table, files
 * written straight into Prosody's data dir) because doing it through the protocols would take
 * longer than the run it prepares.
 */

export interface ScaleShape {
  users: number;
  contactsPerUser: number;
  /** The gateway's domain: the contacts' JIDs are `<legacy id>@<domain>`. */
  domain: string;
  /** The roster group the gateway uses (the demo gateway's ROSTER_GROUP). */
  group: string;
  /** Every user's password on the demo network and on Prosody. */
  password: string;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const userWidth = (shape: ScaleShape) => Math.max(5, String(shape.users).length);
/** The same width bench-host-script.ts's listContacts() uses for the contacts' legacy ids. */
const contactWidth = (shape: ScaleShape) => Math.max(3, String(shape.contactsPerUser - 1).length);

/** Usernames u00001…, as the store and Prosody get them (ids in this order). */
export function scaleUsernames(shape: ScaleShape): string[] {
  return Array.from({ length: shape.users }, (_, i) => `u${pad(i + 1, userWidth(shape))}`);
}

// The drivers @gangway/store itself uses, loaded from its dependencies (e2e does not declare them).
const storeRequire = createRequire(createRequire(import.meta.url).resolve("@gangway/store/package.json"));

interface SqliteDatabase {
  exec(sql: string): void;
  close(): void;
}
interface PostgresSql {
  unsafe(query: string): Promise<unknown>;
  end(): Promise<void>;
}

/**
 * Creates the schema through `openStore` (migrations), then inserts the users (registration
 * `{ username, password }` as plain JSON: the bench hosts open their stores without a secret key)
 * and `contactsPerUser` contacts each, named as the bench network names them, friends, already
 * accepted into the roster (`added_to_roster`), so a login finds nothing to change.
 * PostgreSQL is ANALYZEd afterwards, as autovacuum would have done after a previous run; SQLite is
 * left as the store leaves it.
 */
export async function seedStore(spec: StoreSpec, shape: ScaleShape): Promise<void> {
  const store = await openStore(spec);
  await store.close();
  const uw = userWidth(shape);
  const cw = contactWidth(shape);
  if (spec.driver === "sqlite") {
    if (!spec.file) throw new Error("an in-memory SQLite store cannot be seeded from outside the host");
    const Database = storeRequire("better-sqlite3") as new (file: string) => SqliteDatabase;
    const db = new Database(spec.file);
    try {
      db.exec(`
        begin;
        with recursive n(i) as (select 1 union all select i + 1 from n where i < ${shape.users})
        insert into users (jid, registration)
          select printf('u%0${uw}d@localhost', i),
                 json_object('username', printf('u%0${uw}d', i), 'password', '${shape.password}')
          from n;
        with recursive k(j) as (select 0 union all select j + 1 from k where j < ${shape.contactsPerUser - 1})
        insert into contacts (user_id, legacy_id, jid_local, name, is_friend, added_to_roster)
          select u.id, printf('c%0${cw}d', j), printf('c%0${cw}d', j), printf('Contact c%0${cw}d', j), 1, 1
          from users u, k order by u.id, j;
        commit;`);
    } finally {
      db.close();
    }
    return;
  }
  const postgres = storeRequire("postgres") as (url: string, options: object) => PostgresSql;
  const sql = postgres(spec.url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      insert into users (jid, registration)
        select 'u' || lpad(i::text, ${uw}, '0') || '@localhost',
               json_build_object('username', 'u' || lpad(i::text, ${uw}, '0'), 'password', '${shape.password}')::text
        from generate_series(1, ${shape.users}) as i`);
    await sql.unsafe(`
      insert into contacts (user_id, legacy_id, jid_local, name, is_friend, added_to_roster)
        select u.id, 'c' || lpad(j::text, ${cw}, '0'), 'c' || lpad(j::text, ${cw}, '0'),
               'Contact c' || lpad(j::text, ${cw}, '0'), true, true
        from users u cross join generate_series(0, ${shape.contactsPerUser - 1}) as j
        order by u.id, j`);
    await sql.unsafe("analyze");
  } finally {
    await sql.end();
  }
}

/** SCRAM-SHA-1 keys as Prosody's internal_hashed stores them (hex), for one password and salt. */
function scramCredentials(password: string, salt: string, iterations: number) {
  const salted = pbkdf2Sync(password, salt, iterations, 20, "sha1");
  const hmac = (key: Buffer, text: string) => createHmac("sha1", key).update(text).digest();
  const storedKey = createHash("sha1").update(hmac(salted, "Client Key")).digest("hex");
  const serverKey = hmac(salted, "Server Key").toString("hex");
  return { storedKey, serverKey };
}

const lua = (value: string) => `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;

/**
 * Writes each user's account and roster into Prosody's data dir (internal storage, which reads
 * the files when it needs them: no restart), as in-band registration and a previous gateway run
 * would have left them: an account with `password` (SCRAM-SHA-1, one salt for all: a bench) and
 * every contact in the roster with subscription both, its name, in `group`. The users are not
 * connected. Names must be plain [a-z0-9] (Prosody escapes anything else in file names).
 */
export async function writeProsodyAccounts(prosody: ProsodyServer, shape: ScaleShape): Promise<void> {
  const hostDir = join(prosody.dir, "data", prosody.domain);
  await mkdir(join(hostDir, "accounts"), { recursive: true });
  await mkdir(join(hostDir, "roster"), { recursive: true });
  const salt = "gangway-bench-scale";
  const iterations = 4096;
  const { storedKey, serverKey } = scramCredentials(shape.password, salt, iterations);
  const account =
    "return {\n" +
    `\t["iteration_count"] = ${iterations};\n` +
    `\t["server_key"] = ${lua(serverKey)};\n` +
    `\t["salt"] = ${lua(salt)};\n` +
    `\t["stored_key"] = ${lua(storedKey)};\n` +
    "};\n";
  const cw = contactWidth(shape);
  const items = Array.from({ length: shape.contactsPerUser }, (_, j) => {
    const id = `c${pad(j, cw)}`;
    return (
      `\t[${lua(`${id}@${shape.domain}`)}] = {\n` +
      `\t\t["subscription"] = "both";\n` +
      `\t\t["groups"] = { [${lua(shape.group)}] = true; };\n` +
      `\t\t["name"] = ${lua(`Contact ${id}`)};\n` +
      "\t};\n"
    );
  }).join("");
  const roster = `return {\n\t[false] = {\n\t\t["version"] = 1;\n\t\t["pending"] = {};\n\t};\n${items}};\n`;
  await runPool(scaleUsernames(shape), 32, async (name) => {
    await writeFile(join(hostDir, "accounts", `${name}.dat`), account);
    await writeFile(join(hostDir, "roster", `${name}.dat`), roster);
  });
}
