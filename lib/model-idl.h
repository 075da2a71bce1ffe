/* Filling the model from the northbound database (through its IDL). */

#ifndef MODEL_IDL_H
#define MODEL_IDL_H 1

struct model;
struct ovsdb_idl;

/* Fills 'model' (initialized, empty) from the rows 'idl' holds.  Rows that
 * do not parse (the database was written by something other than
 * cutoverctl) are skipped with a rate-limited warning naming them.  Returns
 * the number of rows skipped. */
int model_from_idl(struct model *, struct ovsdb_idl *);

#endif /* model-idl.h */
