import type { FormField } from "@gangway/xmpp";
import { XmppError } from "@gangway/xmpp";
import { describe, expect, it, vi } from "vitest";
import { FormStep, RegistrationFlow, RegistrationType, TwoFactorNotRequired } from "./flow.js";
import { seedFlow } from "./seed-flows.js";

const fields: FormField[] = [
  { var: "username", type: "text-single", label: "Username", required: true },
  { var: "password", type: "text-private", label: "Password", required: true },
];
const texts = { componentName: "Test", fields, instructions: "Enter your credentials" };

describe("seed flows", () => {
  it("single-step: one form, validated, legacy data kept", async () => {
    const validate = vi.fn(async () => ({ token: "t1" }));
    const flow = seedFlow(RegistrationType.SingleStepForm, { validate }, texts);
    expect(flow.isSingleForm).toBe(true);
    const state = flow.newState("romeo@example.org");
    const first = await flow.currentStep(state).view(state);
    expect(first).toMatchObject({ kind: "form", title: "Registration to 'Test'", fields });
    expect(await flow.advance(state, { username: "romeo", password: "pw" })).toBeUndefined();
    expect(validate).toHaveBeenCalledWith("romeo@example.org", { username: "romeo", password: "pw" });
    expect(state.values).toEqual({ username: "romeo", password: "pw" });
    expect(state.legacyData).toEqual({ token: "t1" });
  });

  it("a missing required field is not-acceptable and the app is not asked", async () => {
    const validate = vi.fn(async () => undefined);
    const flow = seedFlow(RegistrationType.SingleStepForm, { validate }, texts);
    const state = flow.newState("romeo@example.org");
    await expect(flow.advance(state, { username: "romeo" })).rejects.toMatchObject({
      condition: "not-acceptable",
    });
    expect(validate).not.toHaveBeenCalled();
    expect(state.stepIndex).toBe(0);
  });

  it("two-factor: credentials, then the code; a wrong code keeps the user on the code step", async () => {
    const flow = seedFlow(
      RegistrationType.TwoFactorCode,
      {
        validate: async () => ({ pending: true }),
        validateTwoFactorCode: async (_jid, code, data) => {
          if (code !== "123456") throw new XmppError("not-authorized", "Wrong code");
          return { ...data, session: "s1" };
        },
      },
      texts,
    );
    expect(flow.isSingleForm).toBe(false);
    const state = flow.newState("romeo@example.org");
    const codeView = await flow.advance(state, { username: "romeo", password: "pw" });
    expect(codeView).toMatchObject({ kind: "form", stepId: "code" });
    await expect(flow.advance(state, { code: "000000" })).rejects.toMatchObject({
      condition: "not-authorized",
    });
    expect(state.stepIndex).toBe(1);
    expect(await flow.advance(state, { code: "123456" })).toBeUndefined();
    expect(state.legacyData).toEqual({ pending: true, session: "s1" });
  });

  it("two-factor: validate() can say no code is needed after all", async () => {
    const flow = seedFlow(
      RegistrationType.TwoFactorCode,
      {
        validate: async () => {
          throw new TwoFactorNotRequired({ session: "direct" });
        },
        validateTwoFactorCode: async () => undefined,
      },
      texts,
    );
    const state = flow.newState("romeo@example.org");
    expect(await flow.advance(state, { username: "romeo", password: "pw" })).toBeUndefined();
    expect(state.legacyData).toEqual({ session: "direct" });
  });

  it("multi-step flows beyond the seed are plain lists of steps", async () => {
    const step = (id: string, field: string) =>
      new FormStep(id, {
        title: id,
        instructions: "",
        fields: [{ var: field, type: "text-single", label: field, required: true }],
        accept: async () => ({ legacyData: { [id]: true } }),
      });
    const flow = new RegistrationFlow("phone", [
      step("phone", "phone"),
      step("code", "code"),
      step("password", "pw"),
    ]);
    const state = flow.newState("r@example.org");
    expect((await flow.advance(state, { phone: "+1" }))?.stepId).toBe("code");
    expect((await flow.advance(state, { code: "1" }))?.stepId).toBe("password");
    expect(await flow.advance(state, { pw: "x" })).toBeUndefined();
    expect(state.values).toEqual({ phone: "+1", code: "1", pw: "x" });
    expect(state.legacyData).toEqual({ phone: true, code: true, password: true });
    await expect(flow.advance(state, {})).rejects.toMatchObject({ condition: "bad-request" });
  });

  it("refuses empty flows and a two-factor flow without its hook", () => {
    expect(() => new RegistrationFlow("x", [])).toThrow(/at least one step/);
    expect(() =>
      seedFlow(RegistrationType.TwoFactorCode, { validate: async () => undefined }, texts),
    ).toThrow(/validateTwoFactorCode/);
  });
});
