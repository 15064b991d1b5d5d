/** The checkout REST API (docs/api/openapi.json). The orders routes carry the ID token. */
import { config } from "./config";
import { currentSession, signOut } from "./session";

export interface Product {
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  available: number;
}

export interface OrderLine {
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

export type OrderStatus = "PENDING" | "CONFIRMED" | "FAILED";

export interface Order {
  orderId: string;
  items: OrderLine[];
  amountCents: number;
  currency: string;
  status: OrderStatus;
  reason?: string | null;
  createdAt: string;
  updatedAt: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** No valid ID token (none, expired, or refused by the API): sign in again. */
export class SignedOut extends Error {}

async function call<T>(path: string, init: RequestInit = {}, signedIn = false): Promise<T> {
  const settings = await config();
  const headers = new Headers(init.headers);
  if (signedIn) {
    const session = currentSession();
    if (!session) throw new SignedOut();
    headers.set("Authorization", session.idToken);
  }
  let response: Response;
  try {
    response = await fetch(settings.apiUrl + path, { ...init, headers });
  } catch {
    throw new ApiError(0, "The shop could not be reached. Check your connection and try again.");
  }
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 && signedIn) {
    signOut();
    throw new SignedOut();
  }
  if (!response.ok) {
    const detail = Array.isArray(body.detail)
      ? body.detail.map((problem: { msg?: string }) => problem.msg).join("; ")
      : "";
    throw new ApiError(response.status, [body.message, detail].filter(Boolean).join(": "));
  }
  return body as T;
}

export async function listProducts(): Promise<Product[]> {
  const products: Product[] = [];
  let nextToken: string | undefined;
  do {
    const query = nextToken ? `?nextToken=${encodeURIComponent(nextToken)}` : "";
    const page = await call<{ items: Product[]; nextToken?: string | null }>(`/products${query}`);
    products.push(...page.items);
    nextToken = page.nextToken ?? undefined;
  } while (nextToken);
  return products;
}

export function placeOrder(
  items: { sku: string; quantity: number }[],
  paymentToken: string,
  idempotencyKey: string,
): Promise<Order> {
  return call<Order>(
    "/orders",
    {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey },
      body: JSON.stringify({ items, paymentToken }),
    },
    true,
  );
}

export function getOrder(orderId: string): Promise<Order> {
  return call<Order>(`/orders/${encodeURIComponent(orderId)}`, {}, true);
}

export type CheckoutStep = {
  step: string;
  attempts: number;
  outcome: "succeeded" | "failed" | "running";
  error: string | null;
};

export function getCheckoutSteps(orderId: string): Promise<{ orderId: string; steps: CheckoutStep[] }> {
  return call(`/orders/${encodeURIComponent(orderId)}/steps`, {}, true);
}

export function listOrders(nextToken?: string): Promise<{ orders: Order[]; nextToken: string | null }> {
  const query = nextToken ? `?nextToken=${encodeURIComponent(nextToken)}` : "";
  return call(`/orders${query}`, {}, true);
}
