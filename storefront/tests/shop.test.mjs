// The storefront in a real browser (Debian's chromium, driven by playwright-core) against a
// running local run: STOREFRONT_URL is its site (tests/storefront/test_browser.py starts one).
// Each page is screenshotted into test-results/ and checked by axe-core (WCAG 2 A/AA: labels,
// names, contrast); sign-in is done with the keyboard alone.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, test } from "node:test";
import axe from "axe-core";
import { chromium } from "playwright-core";

const SITE = process.env.STOREFRONT_URL ?? "http://127.0.0.1:3003";
const EMAIL = process.env.SHOPPER_EMAIL ?? "shopper@example.com";
const PASSWORD = process.env.SHOPPER_PASSWORD ?? "Local-checkout-1";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = new URL("../test-results/", import.meta.url).pathname;
const FINAL_STATUS_TIMEOUT_MS = 60_000;

let browser;
let page;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage();
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
});

after(async () => {
  await browser?.close();
});

/** A link of the site's main navigation. */
function menu(name) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name });
}

async function snapshot(name) {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** axe-core's WCAG 2 A/AA rules over the page as it is now: no violation. */
async function assertAccessible(name) {
  await page.addScriptTag({ content: axe.source });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(", ")})`);
  });
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
}

async function checkOut(cardLabel) {
  await menu(/^Cart/).click();
  await page.getByRole("link", { name: "Check out" }).click();
  await page.getByRole("heading", { name: "Checkout" }).waitFor();
  await page.getByLabel(cardLabel).check();
  await page.getByRole("button", { name: /^Place order/ }).click();
  await page.waitForURL(/\/orders\/[^/]+$/);
  return decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
}

async function finalStatus() {
  const status = page.getByRole("status").filter({ hasText: /^(Processing|Confirmed|Failed)/ });
  await status.filter({ hasText: /^(Confirmed|Failed)/ }).waitFor({ timeout: FINAL_STATUS_TIMEOUT_MS });
  return status.textContent();
}

test("a signed-out visitor is sent to sign in", async () => {
  await page.goto(`${SITE}/orders`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/sign-in");
  assert.equal(new URL(page.url()).searchParams.get("next"), "/orders");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "Wrong email or password." }).waitFor();
  await snapshot("sign-in");
  await assertAccessible("sign-in");
});

test("the catalog shows the stock, and the cart fills", async () => {
  await page.goto(SITE);
  await page.getByRole("heading", { name: "Catalog" }).waitFor();
  const tshirt = page.getByRole("listitem").filter({ hasText: "Classic T-Shirt" });
  assert.match(await tshirt.textContent(), /120 in stock/);
  const sneaker = page.getByRole("listitem").filter({ hasText: "Canvas Sneaker" });
  assert.match(await sneaker.textContent(), /Out of stock/);
  assert.equal(await sneaker.getByRole("button", { name: "Add to cart" }).isDisabled(), true);
  await tshirt.getByRole("button", { name: "Add to cart" }).click();
  await tshirt.getByRole("button", { name: "Add to cart" }).click();
  await page.getByRole("status").filter({ hasText: "Added Classic T-Shirt" }).waitFor();
  assert.match(await menu(/^Cart/).textContent(), /\(2\)/);
  await snapshot("catalog");
  await assertAccessible("catalog");

  await menu(/^Cart/).click();
  await page.getByRole("heading", { name: "Cart" }).waitFor();
  assert.equal(await page.getByLabel("Quantity of Classic T-Shirt, Black, M").inputValue(), "2");
  assert.match(await page.locator(".total").textContent(), /\$25\.98/);
  await snapshot("cart");
  await assertAccessible("cart");
});

test("checking out asks to sign in, with the keyboard alone, and comes back", async () => {
  await page.getByRole("link", { name: "Check out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  // From the top of the page, Tab reaches the email field; Enter submits the form.
  await page.locator("body").focus();
  for (let presses = 0; presses < 15; presses++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(() => document.activeElement?.id === "email")) break;
  }
  assert.equal(await page.evaluate(() => document.activeElement?.id), "email", "Tab reaches the email field");
  await page.keyboard.type(EMAIL);
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Checkout" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/checkout");
  await page.getByText(EMAIL).waitFor();
  await snapshot("checkout");
  await assertAccessible("checkout");
});

let confirmedOrder;
let failedOrder;

test("a success card: the order is followed until it is confirmed", async () => {
  confirmedOrder = await checkOut("Visa (test)");
  assert.match(await finalStatus(), /^Confirmed/);
  const steps = page.getByRole("list", { name: "Checkout steps" });
  await steps.getByText("✓ Order confirmed").waitFor();
  assert.match(await steps.innerText(), /✓ Stock reserved[\s\S]*✓ Order confirmed/);
  await snapshot("order-confirmed");
  await assertAccessible("order-confirmed");
});

test("a declined card: the order fails and says why in plain words", async () => {
  await menu("Catalog").click();
  const mug = page.getByRole("listitem").filter({ hasText: "Ceramic Mug" });
  await mug.getByRole("button", { name: "Add to cart" }).click();
  failedOrder = await checkOut("Declined card (test)");
  const status = await finalStatus();
  assert.match(status, /^Failed/);
  assert.match(status, /Your card was declined\. Nothing was charged\./);
  const steps = page.getByRole("list", { name: "Checkout steps" });
  await steps.getByText("✓ Stock released").waitFor();
  assert.match(await steps.innerText(), /✗ Payment authorized: did not go through/);
  await snapshot("order-failed");
  await assertAccessible("order-failed");
});

test("the history lists both orders with their outcome", async () => {
  await menu("My orders").click();
  await page.getByRole("heading", { name: "My orders" }).waitFor();
  const confirmed = page.getByRole("row").filter({ hasText: confirmedOrder });
  const failed = page.getByRole("row").filter({ hasText: failedOrder });
  assert.match(await confirmed.textContent(), /2 × Classic T-Shirt.*Confirmed/);
  assert.match(await failed.textContent(), /1 × Ceramic Mug.*Failed/);
  await snapshot("orders");
  await assertAccessible("orders");

  // The stock reflects the confirmed order only; the declined one's was released.
  await menu("Catalog").click();
  const tshirt = page.getByRole("listitem").filter({ hasText: "Classic T-Shirt" });
  await tshirt.getByText("118 in stock").waitFor();
  const mug = page.getByRole("listitem").filter({ hasText: "Ceramic Mug" });
  await mug.getByText("80 in stock").waitFor();
});

test("a new customer creates an account, confirms it and is signed in", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await menu("My orders").click();
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByRole("heading", { name: "Create an account" }).waitFor();
  const newcomer = `newcomer-${Date.now()}@example.com`;
  await page.getByLabel("Email").fill(newcomer);
  await page.getByLabel("Password").fill(PASSWORD);
  await snapshot("sign-up");
  await assertAccessible("sign-up");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Confirm your email" }).waitFor();
  // Cognito emails the code; the local user pool (moto) takes any code.
  await page.getByLabel("Confirmation code").fill("123456");
  await snapshot("sign-up-confirm");
  await assertAccessible("sign-up-confirm");
  await page.getByRole("button", { name: "Confirm and sign in" }).click();
  await page.getByRole("heading", { name: "My orders" }).waitFor();
  await page.getByText(newcomer).waitFor();
  await page.getByText("No orders yet.").waitFor();
});
