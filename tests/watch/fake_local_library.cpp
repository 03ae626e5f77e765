// A plugin and the CUDA library it links (tests/CMakeLists.txt builds this file twice): the library,
// a stand-in for cuSPARSE named libcusparse.so in a folder of its own, and the plugin, which the probe
// loads with dlopen's default local scope, as Python loads an extension module. The plugin's call of
// cusparseCreate is bound by the dynamic linker: to the preloaded watch library's function first, which
// finds cuSPARSE's own in the plugin's scope, not the process's global one.
#ifdef CTXSHARE_FAKE_PLUGIN
extern "C" int cusparseCreate(void** handle);
extern "C" int cusparseDestroy(void* handle);
extern "C" [[gnu::visibility("default")]] int plugin_make_handle(void** handle) { return cusparseCreate(handle); }
extern "C" [[gnu::visibility("default")]] int plugin_destroy_handle(void* handle) { return cusparseDestroy(handle); }
#else
extern "C" [[gnu::visibility("default")]] int cusparseCreate(void** handle) {
  *handle = new int(2);
  return 0;
}
extern "C" [[gnu::visibility("default")]] int cusparseDestroy(void* handle) {
  delete static_cast<int*>(handle);
  return 0;
}
#endif
