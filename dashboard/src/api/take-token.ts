import { takeTokenFromFragment } from "./token.ts";

// Imported first by main.ts: the token leaves the fragment before any element reads the route or asks the api.
takeTokenFromFragment();
