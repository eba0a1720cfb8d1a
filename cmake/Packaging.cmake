# Install components and Debian packages.
#
#   runtime  (liblathe-runtime): liblathe_runtime, liblathe_training, their
#            C headers and lathe-run: enough to load, run and train
#            artifacts; no LLVM, MLIR or protobuf.
#   compiler (lathe): lathe and lathe-opt; the C++ DSL (liblathe_nn,
#            lathe/nn.h, its CMake targets: find_package(Lathe COMPONENTS
#            nn) with liblathe-dev).
#   dev      (liblathe-dev): the CMake package (find_package(Lathe):
#            lathe::runtime, lathe::training), pkg-config files
#            (lathe-runtime, lathe-training) and the libraries' link names.
include(CMakePackageConfigHelpers)

set(LATHE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Lathe)
install(EXPORT LatheTargets NAMESPACE lathe:: DESTINATION ${LATHE_CMAKE_DIR}
  COMPONENT dev)
install(EXPORT LatheNNTargets NAMESPACE lathe:: DESTINATION ${LATHE_CMAKE_DIR}
  COMPONENT compiler)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/LatheConfig.cmake.in
  ${PROJECT_BINARY_DIR}/LatheConfig.cmake INSTALL_DESTINATION ${LATHE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/LatheConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/LatheConfig.cmake
  ${PROJECT_BINARY_DIR}/LatheConfigVersion.cmake
  DESTINATION ${LATHE_CMAKE_DIR} COMPONENT dev)
# The pkg-config files name the prefix relative to themselves
# (${pcfiledir}/..), so that an install unpacked anywhere works.
string(REGEX MATCHALL "[^/]+" pc_dirs "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
set(LATHE_PC_PREFIX "\${pcfiledir}")
foreach(dir IN LISTS pc_dirs)
  string(APPEND LATHE_PC_PREFIX "/..")
endforeach()
foreach(pc lathe-runtime lathe-training)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${pc}.pc.in
    ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endforeach()

configure_file(${CMAKE_CURRENT_LIST_DIR}/lathe-nn.pc.in
  ${PROJECT_BINARY_DIR}/lathe-nn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/lathe-nn.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT compiler)

set(CPACK_PACKAGE_NAME lathe)
set(CPACK_PACKAGE_VENDOR "Lathe")
set(CPACK_PACKAGE_CONTACT "Lathe developers <lathe@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Ahead-of-time compiler for static neural networks")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL runtime compiler dev)
set(CPACK_COMPONENT_COMPILER_DEPENDS runtime)
set(CPACK_COMPONENT_DEV_DEPENDS runtime)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
# Shared-library dependencies from dpkg-shlibdeps (libc, libstdc++, and
# for the compiler LLVM, MLIR, protobuf and ONNX); Lathe's own libraries
# come from the runtime package (the component dependency above).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS
  ${PROJECT_BINARY_DIR}/runtime ${PROJECT_BINARY_DIR}/training
  ${PROJECT_BINARY_DIR}/frontends/cpp)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME liblathe-runtime)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "Lathe runtime: load, run and train compiled artifacts (lathe-run)")
set(CPACK_DEBIAN_COMPILER_PACKAGE_NAME lathe)
set(CPACK_DEBIAN_COMPILER_PACKAGE_SECTION devel)
# lathe compile links shared objects with the C compiler driver and libm.
# LLVM and MLIR are named too: dpkg-shlibdeps finds them through the run
# path /usr/lib/llvm-22/lib, whose files other packages (llvm-22-dev) may
# own, and then leaves them out.
set(CPACK_DEBIAN_COMPILER_PACKAGE_DEPENDS
  "gcc | clang, libc6-dev, libllvm22, libmlir-22")
set(CPACK_COMPONENT_COMPILER_DESCRIPTION
  "Lathe compiler: ONNX models and C++ DSL networks to native code (lathe, lathe-opt, liblathe_nn)")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME liblathe-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "Lathe development files: CMake package and pkg-config files")
include(CPack)
