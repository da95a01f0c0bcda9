/** Who a signed-in user is and whether they are an admin, on a real PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { identityFromSignIn, upsertUserFromIdentity } from "@/server/auth/users";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

const github = (id: string, login: string, displayName: string) =>
  identityFromSignIn({ provider: "github", providerAccountId: id, user: { name: displayName, email: null }, profile: { id, login, name: displayName } });
const oidc = (sub: string, email: string, verified: boolean, name = "someone") =>
  identityFromSignIn({ provider: "oidc", providerAccountId: sub, user: { name, email }, profile: { sub, email, email_verified: verified, preferred_username: name } });

describe("admins", () => {
  it("a GitHub user whose display name is an admin's login is not an admin; the login owner is", async () => {
    const impostor = await upsertUserFromIdentity(database.db, github("1001", "mallory", "root-admin"), ["root-admin"]);
    expect(impostor).toMatchObject({ name: "mallory", role: "USER" });
    const owner = await upsertUserFromIdentity(database.db, github("1002", "root-admin", "Alice"), ["root-admin"]);
    expect(owner).toMatchObject({ name: "root-admin", role: "ADMIN" });
  });

  it("an OIDC e-mail makes an admin only when the provider verified it", async () => {
    const unverified = await upsertUserFromIdentity(database.db, oidc("sub-1", "boss@example.org", false), ["boss@example.org"]);
    expect(unverified.role).toBe("USER");
    const verified = await upsertUserFromIdentity(database.db, oidc("sub-2", "boss@example.org", true), ["boss@example.org"]);
    expect(verified.role).toBe("ADMIN");
    // OIDC names are free-form: an OIDC preferred_username equal to an admin entry grants nothing.
    const named = await upsertUserFromIdentity(database.db, oidc("sub-3", "x@example.org", false, "root-admin"), ["root-admin"]);
    expect(named.role).toBe("USER");
  });

  it("the role is decided again at every sign-in: removed from QUORUM_ADMINS, an admin is demoted", async () => {
    const first = await upsertUserFromIdentity(database.db, github("2001", "ops", "Ops"), ["ops"]);
    expect(first.role).toBe("ADMIN");
    const again = await upsertUserFromIdentity(database.db, github("2001", "ops", "Ops"), []);
    expect(again).toMatchObject({ id: first.id, role: "USER" });
    expect((await database.db.user.findUniqueOrThrow({ where: { id: first.id } })).role).toBe("USER");
  });

  it("a user is the provider's account id: a new login name on the same GitHub account is the same user", async () => {
    const before = await upsertUserFromIdentity(database.db, github("3001", "old-name", "X"), []);
    const after = await upsertUserFromIdentity(database.db, github("3001", "new-name", "X"), []);
    expect(after.id).toBe(before.id);
  });
});

describe("first sign-in with an e-mail that already exists", () => {
  it("signs in as a new user without the e-mail instead of failing, and never joins the existing account", async () => {
    const owner = await upsertUserFromIdentity(database.db, oidc("sub-10", "shared@example.org", true), []);
    const second = await upsertUserFromIdentity(database.db, oidc("sub-11", "shared@example.org", false), []);
    expect(second.id).not.toBe(owner.id);
    const verifiedToo = await upsertUserFromIdentity(database.db, oidc("sub-12", "shared@example.org", true), []);
    expect(verifiedToo.id).not.toBe(owner.id);
    const stored = await database.db.user.findUniqueOrThrow({ where: { id: verifiedToo.id } });
    expect(stored.email).toBeNull();
  });

  it("an unverified e-mail is never stored", async () => {
    const user = await upsertUserFromIdentity(database.db, oidc("sub-20", "unverified@example.org", false), []);
    expect((await database.db.user.findUniqueOrThrow({ where: { id: user.id } })).email).toBeNull();
  });
});
