/*
 * framewire._codec.fastpath: the compiled receive path's one loop, the length-prefixed
 * reader's run of whole single-frame data messages (framewire._codec.fast_readers,
 * FastPaths.run), bound by the rule of that module: it takes a prefix of what the
 * general reader would return.
 *
 * Why C here and nowhere else: at small payloads the cost of receiving is the Python
 * work per frame (unpack a header, compare, slice, build a Message); here that work is a
 * few loads and two allocations. Everything else (every other frame, every error, the
 * session) stays in the pure-Python reference, which also runs whenever this module is
 * absent or FRAMEWIRE_PURE_PYTHON is set. The checks are the pure fast path's, the same
 * bytes are taken or left: magic, version and the R, M and N flags in one masked compare
 * (FW-HDR-6), a data type (FW-SES-6), the payload within the fast limit (FW-LIM-3,
 * FW-MSG-10), and with C the CRC-32C of the C library (FW-CRC-3). A frame that fails
 * any of them ends the run and is left to the general path, which reports it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "framewire.h"

/* The application flags: the high nibble of the flags byte (FW-FLG-2). */
#define APP_FLAGS_SHIFT 4

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* A Message (a tuple subclass) of the checked fields, as tuple.__new__ builds it. */
static PyObject *new_message(PyTypeObject *cls, uint8_t type, const uint8_t *payload,
                             Py_ssize_t length, uint8_t app_flags)
{
    PyObject *data = PyBytes_FromStringAndSize((const char *)payload, length);
    if (data == NULL) {
        return NULL;
    }
    PyObject *message = cls->tp_alloc(cls, 3);
    if (message == NULL) {
        Py_DECREF(data);
        return NULL;
    }
    PyTuple_SET_ITEM(message, 0, PyLong_FromLong(type)); /* small ints: cached, no failure */
    PyTuple_SET_ITEM(message, 1, data);
    PyTuple_SET_ITEM(message, 2, PyLong_FromLong(app_flags));
    /* Two ints and a bytes object can be part of no reference cycle: the collector need
     * not track it (CPython's own collector untracks such tuples when it meets them),
     * which saves the collections that a run of tracked objects would trigger. Not when
     * the class gives its instances a __dict__ (Message has none). */
    if (cls->tp_dictoffset == 0 && PyObject_IS_GC(message)) {
        PyObject_GC_UnTrack(message);
    }
    return message;
}

PyDoc_STRVAR(decode_run_doc,
             "decode_run(data, start, end, largest, message_class, batch, most, plain, mask)"
             " -> int\n\n"
             "Append to batch up to `most` whole single-frame data messages found in\n"
             "data[start:end]; return the offset after the last one taken.");

static PyObject *decode_run(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "decode_run takes 9 arguments");
        return NULL;
    }
    Py_ssize_t start = PyLong_AsSsize_t(args[1]);
    Py_ssize_t end = PyLong_AsSsize_t(args[2]);
    Py_ssize_t largest = PyLong_AsSsize_t(args[3]);
    Py_ssize_t most = PyLong_AsSsize_t(args[6]);
    unsigned long plain = PyLong_AsUnsignedLong(args[7]);
    unsigned long mask = PyLong_AsUnsignedLong(args[8]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (!PyType_Check(args[4]) || !PyType_IsSubtype((PyTypeObject *)args[4], &PyTuple_Type) ||
        !PyList_Check(args[5])) {
        PyErr_SetString(PyExc_TypeError, "decode_run needs a tuple type and a list");
        return NULL;
    }
    PyTypeObject *cls = (PyTypeObject *)args[4];
    PyObject *batch = args[5];
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) != 0) {
        return NULL;
    }
    if (start < 0 || end < start || end > view.len) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "decode_run: offsets outside the buffer");
        return NULL;
    }
    const uint8_t *data = view.buf;
    Py_ssize_t pos = start;
    while (most > 0 && end - pos >= (Py_ssize_t)FW_HEADER_SIZE) {
        const uint8_t *header = data + pos;
        uint32_t word = be32(header);
        uint8_t type = header[4];
        uint32_t length = be32(header + 5);
        if ((word & mask) != plain || type < FW_TYPE_DATA_MIN || (Py_ssize_t)length > largest) {
            break;
        }
        Py_ssize_t payload_end = pos + (Py_ssize_t)FW_HEADER_SIZE + (Py_ssize_t)length;
        Py_ssize_t frame_end = payload_end + ((word & FW_FLAG_C) ? (Py_ssize_t)FW_TRAILER_SIZE : 0);
        if (frame_end > end) {
            break;
        }
        if (frame_end != payload_end &&
            fw_crc32c_update(0, header, (size_t)(payload_end - pos)) != be32(data + payload_end)) {
            break; /* the general path reports checksum-mismatch */
        }
        uint8_t app_flags = (uint8_t)((word & 0xFFu) >> APP_FLAGS_SHIFT);
        PyObject *message =
            new_message(cls, type, header + FW_HEADER_SIZE, (Py_ssize_t)length, app_flags);
        if (message == NULL || PyList_Append(batch, message) != 0) {
            Py_XDECREF(message);
            PyBuffer_Release(&view);
            return NULL;
        }
        Py_DECREF(message);
        pos = frame_end;
        most--;
    }
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(pos);
}

static PyMethodDef methods[] = {
    {"decode_run", (PyCFunction)(void (*)(void))decode_run, METH_FASTCALL, decode_run_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "framewire._codec.fastpath",
    "The compiled receive path's frame loop (see framewire._codec.fast_readers).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit_fastpath(void)
{
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    /* The layout this loop assumes, for the Python side to compare with its schema. */
    if (PyModule_AddIntConstant(module, "HEADER_SIZE", FW_HEADER_SIZE) != 0 ||
        PyModule_AddIntConstant(module, "TRAILER_SIZE", FW_TRAILER_SIZE) != 0 ||
        PyModule_AddIntConstant(module, "FLAG_C", FW_FLAG_C) != 0 ||
        PyModule_AddIntConstant(module, "FIRST_DATA_TYPE", FW_TYPE_DATA_MIN) != 0 ||
        PyModule_AddIntConstant(module, "APP_FLAGS_SHIFT", APP_FLAGS_SHIFT) != 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
