import { describe, expect, it } from "vitest";
import { parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import {
  gatewayJidQuery,
  gatewayPromptQuery,
  NS_GATEWAY,
  NS_SEARCH,
  parseGatewayPrompt,
  parseSearchSubmission,
  searchFormQuery,
  searchResultQuery,
} from "./search.js";

const FORM_TYPE = `<field var="FORM_TYPE" type="hidden"><value>${NS_SEARCH}</value></field>`;

describe("searchFormQuery", () => {
  it("writes the legacy instructions, then the form with title, instructions and fields", () => {
    expect(
      searchFormQuery({
        title: "Find people",
        instructions: "Part of a name is enough.",
        fields: [{ var: "name", type: "text-single", label: "Name", required: true }],
      }).toString(),
    ).toBe(
      `<query xmlns="${NS_SEARCH}"><instructions>Part of a name is enough.</instructions>` +
        '<x xmlns="jabber:x:data" type="form"><title>Find people</title>' +
        `<instructions>Part of a name is enough.</instructions>${FORM_TYPE}` +
        '<field var="name" type="text-single" label="Name"><required/></field></x></query>',
    );
  });

  it("never leaves the legacy instructions empty, but the form's may be absent", () => {
    expect(searchFormQuery({ instructions: "", fields: [] }).toString()).toBe(
      `<query xmlns="${NS_SEARCH}"><instructions>Fill in the form to search for contacts.</instructions>` +
        `<x xmlns="jabber:x:data" type="form">${FORM_TYPE}</x></query>`,
    );
  });
});

describe("parseSearchSubmission", () => {
  const query = (x: string) => parseXml(`<query xmlns="${NS_SEARCH}">${x}</query>`);

  it("returns the submitted values without FORM_TYPE", () => {
    expect(
      parseSearchSubmission(
        query(
          `<x xmlns="jabber:x:data" type="submit">${FORM_TYPE}<field var="name"><value>bo</value></field></x>`,
        ),
      ),
    ).toEqual({ name: "bo" });
  });

  it("refuses a basic search without a form, and a form that is not a submission", () => {
    const refusal = (x: string) => {
      try {
        parseSearchSubmission(query(x));
      } catch (err) {
        return err instanceof XmppError ? `${err.condition}: ${err.text}` : String(err);
      }
      return "accepted";
    };
    expect(refusal("<first>Bob</first>")).toBe("bad-request: Submit the search form (jabber:x:data).");
    expect(refusal('<x xmlns="jabber:x:data" type="form"/>')).toBe(
      'bad-request: Expected a submitted search form, not a "form" one.',
    );
    expect(refusal('<x xmlns="jabber:x:data" type="bogus"/>')).toMatch(/^bad-request: /);
  });
});

describe("searchResultQuery", () => {
  const fields = [
    { var: "jid", label: "JID" },
    { var: "name", label: "Name\u0001" },
  ];

  it("writes a result table, the jid column as jid-single, missing values as empty fields", () => {
    expect(
      searchResultQuery({
        fields,
        items: [{ jid: "bob@gw.example", name: "Bob\u0000 <M>" }, { jid: "x@gw.example" }],
      }).toString(),
    ).toBe(
      `<query xmlns="${NS_SEARCH}"><x xmlns="jabber:x:data" type="result">${FORM_TYPE}<reported>` +
        '<field var="jid" label="JID" type="jid-single"/><field var="name" label="Name" type="text-single"/>' +
        '</reported><item><field var="jid"><value>bob@gw.example</value></field>' +
        '<field var="name"><value>Bob &lt;M&gt;</value></field></item>' +
        '<item><field var="jid"><value>x@gw.example</value></field><field var="name"/></item></x></query>',
    );
  });

  it("answers the empty query of a search without results", () => {
    expect(searchResultQuery(undefined).toString()).toBe(`<query xmlns="${NS_SEARCH}"/>`);
    expect(searchResultQuery({ fields, items: [] }).toString()).toBe(`<query xmlns="${NS_SEARCH}"/>`);
  });
});

describe("jabber:iq:gateway", () => {
  it("writes the prompt and the mapped JID", () => {
    expect(gatewayPromptQuery({ desc: "Enter the phone number", prompt: "Phone" }).toString()).toBe(
      `<query xmlns="${NS_GATEWAY}"><desc>Enter the phone number</desc><prompt>Phone</prompt></query>`,
    );
    expect(gatewayJidQuery("john\\20doe@gw.example").toString()).toBe(
      `<query xmlns="${NS_GATEWAY}"><jid>john\\20doe@gw.example</jid></query>`,
    );
  });

  it("reads the address without surrounding spaces, and nothing from an empty or missing prompt", () => {
    const query = (inner: string) => parseXml(`<query xmlns="${NS_GATEWAY}">${inner}</query>`);
    expect(parseGatewayPrompt(query("<prompt> john doe@work </prompt>"))).toBe("john doe@work");
    expect(parseGatewayPrompt(query("<prompt> \n</prompt>"))).toBeUndefined();
    expect(parseGatewayPrompt(query("<prompt/>"))).toBeUndefined();
    expect(parseGatewayPrompt(query(""))).toBeUndefined();
  });
});
