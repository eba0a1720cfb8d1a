/* A program built against an installed Lathe runtime (found through
 * pkg-config or find_package(Lathe)): loads an artifact, runs its forward
 * entry point on one .npy input and writes the first output as .npy.
 * Usage: run_main ARTIFACT INPUT.npy OUTPUT.npy */
#include <lathe/runtime.h>

#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s ARTIFACT INPUT.npy OUTPUT.npy\n", argv[0]);
    return 2;
  }
  lathe_context_t *context = NULL;
  lathe_module_t *module = NULL;
  lathe_tensor_t *input = NULL, *output = NULL;
  int rc = 1;
  if (lathe_context_create(NULL, &context) != LATHE_OK)
    return 1;
  if (lathe_module_load(context, argv[1], &module) == LATHE_OK &&
      lathe_tensor_load_npy(context, argv[2], &input) == LATHE_OK &&
      lathe_module_run(context, module, "forward", &input, 1, &output, 1) ==
          LATHE_OK &&
      lathe_tensor_save_npy(context, output, argv[3]) == LATHE_OK)
    rc = 0;
  else
    fprintf(stderr, "run_main: %s\n", lathe_context_last_error(context));
  lathe_tensor_destroy(output);
  lathe_tensor_destroy(input);
  lathe_module_destroy(module);
  lathe_context_destroy(context);
  return rc;
}
