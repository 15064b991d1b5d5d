/** Accounts in the Cognito user pool through its JSON API (the calls the AWS SDK makes): SignUp,
 * ConfirmSignUp, and InitiateAuth with USER_PASSWORD_AUTH, over HTTPS to Cognito on AWS. A
 * public app client's calls are unsigned. */
import { config } from "./config";

export interface Tokens {
  idToken: string;
  /** Milliseconds since the epoch when the ID token expires. */
  expiresAt: number;
}

/** A refusal, in words for the customer. */
export class AccountError extends Error {}

const MESSAGES: Record<string, string> = {
  NotAuthorizedException: "Wrong email or password.",
  UserNotFoundException: "Wrong email or password.",
  UserNotConfirmedException: "This account is not confirmed yet: enter the code we emailed you.",
  PasswordResetRequiredException: "This account needs a new password.",
  UsernameExistsException: "There is already an account with this email: sign in instead.",
  InvalidPasswordException:
    "The password needs at least 12 characters, with upper and lower case letters and a digit.",
  CodeMismatchException: "That code is not the one we emailed. Check it and try again.",
  ExpiredCodeException: "That code has expired: create the account again for a new one.",
  LimitExceededException: "Too many attempts: wait a moment and try again.",
  TooManyRequestsException: "Too many attempts: wait a moment and try again.",
};

async function cognito<T>(operation: string, request: object): Promise<T> {
  const settings = await config();
  let response: Response;
  try {
    response = await fetch(settings.cognitoEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
      },
      body: JSON.stringify({ ClientId: settings.userPoolClientId, ...request }),
    });
  } catch {
    throw new AccountError("The sign-in service could not be reached. Try again.");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(body.__type ?? "").split("#").pop() ?? "";
    throw new AccountError(MESSAGES[type] ?? `${operation} failed: ${body.message ?? response.status}`);
  }
  return body as T;
}

export async function signIn(email: string, password: string): Promise<Tokens> {
  const answer = await cognito<{
    AuthenticationResult?: { IdToken: string; ExpiresIn: number };
    ChallengeName?: string;
  }>("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  const result = answer.AuthenticationResult;
  if (!result?.IdToken) {
    // A challenge (a new password, MFA) this shop does not handle.
    throw new AccountError(`Signing in needs a step this shop cannot do (${answer.ChallengeName}).`);
  }
  return { idToken: result.IdToken, expiresAt: Date.now() + Number(result.ExpiresIn) * 1000 };
}

/** A new account; Cognito emails a code to the address, which `confirmSignUp` takes. */
export async function signUp(email: string, password: string): Promise<void> {
  await cognito("SignUp", {
    Username: email,
    Password: password,
    UserAttributes: [{ Name: "email", Value: email }],
  });
}

export async function confirmSignUp(email: string, code: string): Promise<void> {
  await cognito("ConfirmSignUp", { Username: email, ConfirmationCode: code });
}
