/** Texts users meet in errors from several modules, kept in one place so they read the same. */
export const NOT_REGISTERED_TEXT = "You are not registered to this gateway.";
export const NOT_LOGGED_IN_TEXT = "The gateway is not logged in to your legacy account yet.";
