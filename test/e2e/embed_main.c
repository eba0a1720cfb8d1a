/* A plain C program that embeds a Lathe model: it includes the generated
 * header, links the object file, and calls the model with no runtime.
 * Build: cc -DMODEL_HEADER='"lenet.h"' -DMODEL=lenet embed_main.c lenet.o -lm
 * Usage: embed_main input.bin output.bin (raw float32, row-major). */
#include MODEL_HEADER

#include <stdio.h>
#include <stdlib.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define UPPER_NAME(suffix) CAT(MODEL_UPPER, suffix)

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s input.bin output.bin\n", argv[0]);
    return 2;
  }
  size_t in_count = UPPER_NAME(_INPUT0_ELEMENTS);
  size_t out_count = UPPER_NAME(_OUTPUT0_ELEMENTS);
  float *in = malloc(in_count * sizeof(float));
  float *out = malloc(out_count * sizeof(float));
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(in, sizeof(float), in_count, f) != in_count) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  fclose(f);
  void *inputs[] = {in};
  void *outputs[] = {out};
  int rc = CAT(MODEL, _forward)(NULL, inputs, outputs);
  if (rc != 0) {
    fprintf(stderr, "forward failed: %d\n", rc);
    return 1;
  }
  /* A NULL buffer is an error code, never a crash. */
  if (CAT(MODEL, _forward)(NULL, NULL, outputs) == 0) {
    fprintf(stderr, "forward accepted NULL inputs\n");
    return 1;
  }
  f = fopen(argv[2], "wb");
  if (!f || fwrite(out, sizeof(float), out_count, f) != out_count) {
    fprintf(stderr, "cannot write %s\n", argv[2]);
    return 1;
  }
  fclose(f);
  free(in);
  free(out);
  return 0;
}
