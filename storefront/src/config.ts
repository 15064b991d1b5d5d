/** The shop's settings, from the config.json served beside the site: written by the local run
 * (`make serve`), or by `make storefront-upload` from the deployed stack's outputs. */
export interface ShopConfig {
  /** The REST API stage, e.g. https://abc.execute-api.us-east-1.amazonaws.com/dev */
  apiUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** Cognito's endpoint: https://cognito-idp.<region>.amazonaws.com/ on AWS, the emulator's locally. */
  cognitoEndpoint: string;
}

const REQUIRED: (keyof ShopConfig)[] = [
  "apiUrl",
  "region",
  "userPoolId",
  "userPoolClientId",
  "cognitoEndpoint",
];

let loaded: Promise<ShopConfig> | undefined;

export function config(): Promise<ShopConfig> {
  loaded ??= fetch("/config.json", { cache: "no-store" }).then(async (response) => {
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    const value = (await response.json()) as Partial<ShopConfig>;
    const missing = REQUIRED.filter((key) => typeof value[key] !== "string" || !value[key]);
    if (missing.length) throw new Error(`config.json lacks ${missing.join(", ")}`);
    const settings = value as ShopConfig;
    return { ...settings, apiUrl: settings.apiUrl.replace(/\/+$/, "") };
  });
  return loaded;
}
