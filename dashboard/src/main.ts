/** The dashboard's entry: defining <ay-app> brings in every element it renders. */
import "./elements/app-shell.ts";
