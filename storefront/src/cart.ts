/** The cart: skus and quantities, kept in this browser (localStorage). Prices come from the
 * catalog when shown, and the API prices the order itself. */
const KEY = "shop.cart";
export const MAX_QUANTITY = 100; // the API's limit per line

export type Cart = Record<string, number>;

export function readCart(): Cart {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    return value && typeof value === "object" ? (value as Cart) : {};
  } catch {
    return {};
  }
}

function write(cart: Cart): void {
  localStorage.setItem(KEY, JSON.stringify(cart));
  window.dispatchEvent(new Event("cartchange"));
}

export function setQuantity(sku: string, quantity: number): void {
  const cart = readCart();
  if (quantity > 0) cart[sku] = Math.min(quantity, MAX_QUANTITY);
  else delete cart[sku];
  write(cart);
}

export function addToCart(sku: string): void {
  setQuantity(sku, (readCart()[sku] ?? 0) + 1);
}

export function emptyCart(): void {
  write({});
}

export function itemCount(cart: Cart = readCart()): number {
  return Object.values(cart).reduce((sum, quantity) => sum + quantity, 0);
}
