"""A ctypes binding of the Lathe runtime (lathe/runtime.h) for tests.

Only what the training tests need: load a module, run an entry point, and
drive a trainer. Tensors go in and come out as NumPy arrays.
"""
import ctypes as C

import numpy as np

# lathe_dtype_t; bf16 (12) has no NumPy type.
_DTYPES = {np.dtype("float32"): 0, np.dtype("float64"): 1,
           np.dtype("int32"): 2, np.dtype("int64"): 3, np.dtype("int8"): 4,
           np.dtype("uint8"): 5, np.dtype("bool"): 6, np.dtype("int16"): 7,
           np.dtype("uint16"): 8, np.dtype("uint32"): 9,
           np.dtype("uint64"): 10, np.dtype("float16"): 11}
_NUMPY = {v: k for k, v in _DTYPES.items()}


class _Info(C.Structure):
    _fields_ = [("name", C.c_char_p), ("dtype", C.c_int), ("rank", C.c_size_t),
                ("dims", C.POINTER(C.c_int64))]


class Runtime:
    def __init__(self, library, threads=0):
        lib = self.lib = C.CDLL(library)
        P = C.c_void_p
        lib.lathe_context_create.argtypes = [P, C.POINTER(P)]
        lib.lathe_context_last_error.restype = C.c_char_p
        lib.lathe_context_last_error.argtypes = [P]
        lib.lathe_module_load.argtypes = [P, C.c_char_p, C.POINTER(P)]
        lib.lathe_module_run.argtypes = [P, P, C.c_char_p, C.POINTER(P),
                                         C.c_size_t, C.POINTER(P), C.c_size_t]
        lib.lathe_module_entry_num_outputs.argtypes = [P, C.c_char_p]
        lib.lathe_module_entry_num_outputs.restype = C.c_size_t
        lib.lathe_module_entry_output_info.argtypes = [P, C.c_char_p, C.c_size_t,
                                                      C.POINTER(_Info)]
        lib.lathe_module_num_params.argtypes = [P]
        lib.lathe_module_num_params.restype = C.c_size_t
        lib.lathe_module_param_info.argtypes = [P, C.c_size_t, C.POINTER(_Info)]
        lib.lathe_tensor_wrap.argtypes = [P, C.c_int, C.c_size_t,
                                          C.POINTER(C.c_int64), P, C.POINTER(P)]
        lib.lathe_tensor_data.argtypes = [P]
        lib.lathe_tensor_data.restype = P
        lib.lathe_tensor_info.argtypes = [P, C.POINTER(_Info)]
        lib.lathe_tensor_destroy.argtypes = [P]
        lib.lathe_trainer_create.argtypes = [P, P, C.POINTER(P)]
        lib.lathe_trainer_destroy.argtypes = [P]
        lib.lathe_trainer_set_hyper.argtypes = [P, P, C.c_char_p, C.c_double]
        lib.lathe_trainer_step.argtypes = [P, P, C.c_double, C.POINTER(P),
                                           C.c_size_t, C.POINTER(P), C.c_size_t]
        lib.lathe_trainer_run.argtypes = [P, P, C.c_char_p, C.POINTER(P),
                                          C.c_size_t, C.POINTER(P), C.c_size_t]
        lib.lathe_trainer_param.argtypes = [P, C.c_size_t]
        lib.lathe_trainer_param.restype = P
        lib.lathe_trainer_state.argtypes = [P, C.c_size_t]
        lib.lathe_trainer_state.restype = P
        lib.lathe_module_num_state.restype = C.c_size_t
        lib.lathe_trainer_steps.argtypes = [P]
        lib.lathe_trainer_steps.restype = C.c_int64
        lib.lathe_trainer_save.argtypes = [P, P, C.c_char_p, P, P, C.c_size_t]
        lib.lathe_trainer_load.argtypes = [P, P, C.c_char_p]
        self.ctx = P()
        # lathe_context_options_t {struct_size, num_threads}; 0: one per CPU.
        opts = (C.c_size_t * 2)(16, threads)
        self._check(lib.lathe_context_create(opts, C.byref(self.ctx)))

    def _check(self, status):
        if status != 0:
            raise RuntimeError(self.lib.lathe_context_last_error(self.ctx).decode())

    def error(self):
        return self.lib.lathe_context_last_error(self.ctx).decode()

    @staticmethod
    def _array(info):
        return tuple(info.dims[i] for i in range(info.rank))

    def load(self, path):
        m = C.c_void_p()
        self._check(self.lib.lathe_module_load(self.ctx, path.encode(), C.byref(m)))
        return m

    def param_names(self, module):
        names = []
        for i in range(self.lib.lathe_module_num_params(module)):
            info = _Info()
            self.lib.lathe_module_param_info(module, i, C.byref(info))
            names.append(info.name.decode())
        return names

    def output_names(self, module, entry):
        names = []
        for i in range(self.lib.lathe_module_entry_num_outputs(module, entry.encode())):
            info = _Info()
            self.lib.lathe_module_entry_output_info(module, entry.encode(), i,
                                                    C.byref(info))
            names.append(info.name.decode())
        return names

    def _wrap(self, arrays):
        keep, handles = [], []
        for a in arrays:
            # np.ascontiguousarray would make a scalar one-dimensional.
            a = np.require(a, requirements="C")
            keep.append(a)
            dims = (C.c_int64 * max(a.ndim, 1))(*a.shape)
            t = C.c_void_p()
            self._check(self.lib.lathe_tensor_wrap(
                self.ctx, _DTYPES[a.dtype], a.ndim, dims, a.ctypes.data_as(C.c_void_p),
                C.byref(t)))
            handles.append(t)
        return keep, (C.c_void_p * max(len(handles), 1))(*handles), handles

    def _take(self, t):
        info = _Info()
        self.lib.lathe_tensor_info(t, C.byref(info))
        shape = self._array(info)
        dtype = _NUMPY[info.dtype]
        n = int(np.prod(shape)) if shape else 1
        buf = (C.c_char * (n * dtype.itemsize)).from_address(self.lib.lathe_tensor_data(t))
        return np.frombuffer(bytes(buf), dtype=dtype).reshape(shape)

    def _call(self, fn, module, entry, inputs, *lead):
        keep, ins, handles = self._wrap(inputs)
        n = self.lib.lathe_module_entry_num_outputs(module, entry.encode())
        outs = (C.c_void_p * max(n, 1))()
        try:
            self._check(fn(self.ctx, *lead, ins, len(inputs), outs, n))
            result = [self._take(outs[i]) for i in range(n)]
            for i in range(n):
                self.lib.lathe_tensor_destroy(outs[i])
            return result
        finally:
            for h in handles:
                self.lib.lathe_tensor_destroy(h)

    def run(self, module, entry, inputs):
        return self._call(self.lib.lathe_module_run, module, entry, inputs,
                          module, entry.encode())

    def trainer(self, module):
        t = C.c_void_p()
        self._check(self.lib.lathe_trainer_create(self.ctx, module, C.byref(t)))
        return t

    def step(self, module, trainer, lr, inputs):
        return self._call(self.lib.lathe_trainer_step, module, "train_step",
                          inputs, trainer, C.c_double(lr))

    def set_hyper(self, trainer, name, value):
        self._check(self.lib.lathe_trainer_set_hyper(self.ctx, trainer, name.encode(),
                                                     C.c_double(value)))

    def trainer_run(self, module, trainer, entry, inputs):
        return self._call(self.lib.lathe_trainer_run, module, entry, inputs,
                          trainer, entry.encode())

    def params(self, module, trainer):
        out = {}
        for i, name in enumerate(self.param_names(module)):
            out[name] = self._take(self.lib.lathe_trainer_param(trainer, i))
        return out

    def state(self, module, trainer):
        """The optimizer state by name ("<param>.<buffer>")."""
        out = {}
        for i in range(self.lib.lathe_module_num_state(module)):
            info = _Info()
            self.lib.lathe_module_state_info(module, i, C.byref(info))
            out[info.name.decode()] = self._take(self.lib.lathe_trainer_state(trainer, i))
        return out

    def save(self, trainer, path):
        self._check(self.lib.lathe_trainer_save(self.ctx, trainer, path.encode(),
                                                None, None, 0))

    def load_checkpoint(self, trainer, path):
        return self.lib.lathe_trainer_load(self.ctx, trainer, path.encode())
