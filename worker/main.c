/* main.c - fjord-worker entry point (placeholder until the worker lands). */
#include <stdio.h>
int main(void) { fprintf(stderr, "fjord-worker: not built yet\n"); return 1; }
