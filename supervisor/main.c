/* main.c - fjord-supervisor entry point (placeholder until the supervisor lands). */
#include <stdio.h>
int main(void) { fprintf(stderr, "fjord-supervisor: not built yet\n"); return 1; }
