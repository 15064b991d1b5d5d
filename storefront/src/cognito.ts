/** Signing in to the Cognito user pool through its JSON API (the calls the AWS SDK makes):
 * InitiateAuth with USER_PASSWORD_AUTH, over HTTPS to Cognito on AWS. Public app client calls
 * like this one are unsigned. */
import { config } from "./config";

export interface Tokens {
  idToken: string;
  /** Milliseconds since the epoch when the ID token expires. */
  expiresAt: number;
}

export class SignInError extends Error {}

const MESSAGES: Record<string, string> = {
  NotAuthorizedException: "Wrong email or password.",
  UserNotFoundException: "Wrong email or password.",
  UserNotConfirmedException: "This account is not confirmed yet: use the code we emailed you.",
  PasswordResetRequiredException: "This account needs a new password.",
  TooManyRequestsException: "Too many attempts: wait a moment and try again.",
};

export async function signIn(email: string, password: string): Promise<Tokens> {
  const settings = await config();
  let response: Response;
  try {
    response = await fetch(settings.cognitoEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: settings.userPoolClientId,
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    });
  } catch {
    throw new SignInError("The sign-in service could not be reached. Try again.");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(body.__type ?? "").split("#").pop() ?? "";
    throw new SignInError(MESSAGES[type] ?? `Sign-in failed: ${body.message ?? response.status}`);
  }
  const result = body.AuthenticationResult;
  if (!result?.IdToken) {
    // A challenge (a new password, MFA) this shop does not handle.
    throw new SignInError(`Sign-in needs a step this shop cannot do (${body.ChallengeName}).`);
  }
  return { idToken: result.IdToken, expiresAt: Date.now() + Number(result.ExpiresIn) * 1000 };
}
