/** The dashboard's entry: defining <ay-app> brings in every element it renders. */
import "./api/take-token.ts";
import "./elements/app-shell.ts";
