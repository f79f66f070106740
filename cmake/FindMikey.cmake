# SPDX-License-Identifier: Apache-2.0 OR MIT
#[=======================================================================[.rst:
FindMikey
---------

Finds an installed mikey (MIKEY, RFC 3830, key management with a C ABI): the header
``mikey.h`` and ``libmikey.so`` / ``libmikey.a``, as ``cargo cinstall`` or a distribution
package installs them.

Search order: pkg-config (``mikey.pc``) first, then ``find_path`` / ``find_library`` with the
hints below (which are searched before pkg-config's directories and the system paths).

Hints
^^^^^

``MIKEY_ROOT`` (CMake or environment variable)
  The installation prefix (``<MIKEY_ROOT>/include/mikey.h``, ``<MIKEY_ROOT>/lib/libmikey.*``,
  ``<MIKEY_ROOT>/lib/pkgconfig/mikey.pc``). ``Mikey_ROOT`` and ``CMAKE_PREFIX_PATH`` work too.

``MIKEY_USE_STATIC_LIBS`` (option, default OFF)
  Link ``libmikey.a`` instead of ``libmikey.so``. A Rust static library needs the native
  system libraries it was built against; they are taken from ``Libs.private`` of ``mikey.pc``
  when pkg-config finds it, otherwise from ``MIKEY_NATIVE_STATIC_LIBS`` (default, for Linux:
  ``gcc_s;util;rt;pthread;m;dl;c``, the output of
  ``cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs``).

Imported target
^^^^^^^^^^^^^^^

``Mikey::mikey``
  The library, shared or static as chosen; carries the include directory and, for the static
  library, the native libraries.

Result variables
^^^^^^^^^^^^^^^^

``Mikey_FOUND``, ``Mikey_VERSION`` (from the ``MIKEY_VERSION_*`` macros of ``mikey.h``),
``Mikey_VERSION_MAJOR``, ``Mikey_VERSION_MINOR``, ``Mikey_VERSION_PATCH``,
``Mikey_INCLUDE_DIRS``, ``Mikey_LIBRARIES`` (the library file plus, when static, the native
libraries).

Cache variables
^^^^^^^^^^^^^^^

``MIKEY_INCLUDE_DIR``, ``MIKEY_SHARED_LIBRARY``, ``MIKEY_STATIC_LIBRARY``.

Usage::

  list(APPEND CMAKE_MODULE_PATH "/path/to/mikey/cmake")
  find_package(Mikey 0.1 REQUIRED)
  target_link_libraries(my_module PRIVATE Mikey::mikey)
#]=======================================================================]

include(FindPackageHandleStandardArgs)

option(MIKEY_USE_STATIC_LIBS "Link mikey statically (libmikey.a)" OFF)
set(MIKEY_NATIVE_STATIC_LIBS "gcc_s;util;rt;pthread;m;dl;c" CACHE STRING
    "Native libraries libmikey.a needs when mikey.pc does not list them (Libs.private)")
mark_as_advanced(MIKEY_NATIVE_STATIC_LIBS)

# The explicit root, from the CMake or the environment variable.
set(_mikey_root "")
if(DEFINED MIKEY_ROOT AND NOT "${MIKEY_ROOT}" STREQUAL "")
  set(_mikey_root "${MIKEY_ROOT}")
elseif(DEFINED ENV{MIKEY_ROOT} AND NOT "$ENV{MIKEY_ROOT}" STREQUAL "")
  set(_mikey_root "$ENV{MIKEY_ROOT}")
endif()

# 1. pkg-config. pkg_check_modules also searches <prefix>/lib/pkgconfig of every
#    CMAKE_PREFIX_PATH entry; put MIKEY_ROOT first there for this one call.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  set(_mikey_saved_prefix_path "${CMAKE_PREFIX_PATH}")
  if(_mikey_root)
    list(INSERT CMAKE_PREFIX_PATH 0 "${_mikey_root}")
  endif()
  set(_mikey_saved_use_prefix_path "${PKG_CONFIG_USE_CMAKE_PREFIX_PATH}")
  set(PKG_CONFIG_USE_CMAKE_PREFIX_PATH ON)
  pkg_check_modules(PC_MIKEY QUIET mikey)
  set(PKG_CONFIG_USE_CMAKE_PREFIX_PATH "${_mikey_saved_use_prefix_path}")
  set(CMAKE_PREFIX_PATH "${_mikey_saved_prefix_path}")
  unset(_mikey_saved_prefix_path)
  unset(_mikey_saved_use_prefix_path)
endif()

# 2. The files: MIKEY_ROOT first, then what pkg-config reported, then the usual places.
set(_mikey_include_hints "")
set(_mikey_library_hints "")
if(_mikey_root)
  list(APPEND _mikey_include_hints "${_mikey_root}/include")
  list(APPEND _mikey_library_hints "${_mikey_root}/lib" "${_mikey_root}/lib64")
endif()
list(APPEND _mikey_include_hints ${PC_MIKEY_INCLUDEDIR} ${PC_MIKEY_INCLUDE_DIRS})
list(APPEND _mikey_library_hints ${PC_MIKEY_LIBDIR} ${PC_MIKEY_LIBRARY_DIRS})

find_path(MIKEY_INCLUDE_DIR NAMES mikey.h HINTS ${_mikey_include_hints})
find_library(MIKEY_SHARED_LIBRARY
  NAMES "${CMAKE_SHARED_LIBRARY_PREFIX}mikey${CMAKE_SHARED_LIBRARY_SUFFIX}" mikey
  HINTS ${_mikey_library_hints})
find_library(MIKEY_STATIC_LIBRARY
  NAMES "${CMAKE_STATIC_LIBRARY_PREFIX}mikey${CMAKE_STATIC_LIBRARY_SUFFIX}"
  HINTS ${_mikey_library_hints})
mark_as_advanced(MIKEY_INCLUDE_DIR MIKEY_SHARED_LIBRARY MIKEY_STATIC_LIBRARY)

# The native libraries of the static library: Libs.private of mikey.pc (pkg-config --static
# lists them after -lmikey), else the documented default.
set(_mikey_native_libs "")
if(MIKEY_USE_STATIC_LIBS)
  if(PC_MIKEY_FOUND AND PC_MIKEY_STATIC_LIBRARIES)
    set(_mikey_native_libs ${PC_MIKEY_STATIC_LIBRARIES})
    list(REMOVE_ITEM _mikey_native_libs mikey)
  endif()
  if(NOT _mikey_native_libs)
    set(_mikey_native_libs ${MIKEY_NATIVE_STATIC_LIBS})
  endif()
  set(MIKEY_LIBRARY "${MIKEY_STATIC_LIBRARY}")
else()
  set(MIKEY_LIBRARY "${MIKEY_SHARED_LIBRARY}")
endif()

# The version, from the header that will be compiled against.
if(MIKEY_INCLUDE_DIR AND EXISTS "${MIKEY_INCLUDE_DIR}/mikey.h")
  file(STRINGS "${MIKEY_INCLUDE_DIR}/mikey.h" _mikey_version_lines
       REGEX "^#define[ \t]+MIKEY_VERSION_(MAJOR|MINOR|PATCH)[ \t]+[0-9]+")
  foreach(_mikey_part MAJOR MINOR PATCH)
    string(REGEX REPLACE ".*#define[ \t]+MIKEY_VERSION_${_mikey_part}[ \t]+([0-9]+).*" "\\1"
           Mikey_VERSION_${_mikey_part} "${_mikey_version_lines}")
    if(NOT Mikey_VERSION_${_mikey_part} MATCHES "^[0-9]+$")
      set(Mikey_VERSION_${_mikey_part} "")
    endif()
  endforeach()
  if(NOT "${Mikey_VERSION_MAJOR}" STREQUAL "" AND NOT "${Mikey_VERSION_MINOR}" STREQUAL ""
     AND NOT "${Mikey_VERSION_PATCH}" STREQUAL "")
    set(Mikey_VERSION "${Mikey_VERSION_MAJOR}.${Mikey_VERSION_MINOR}.${Mikey_VERSION_PATCH}")
  endif()
  unset(_mikey_version_lines)
  unset(_mikey_part)
endif()

if(MIKEY_USE_STATIC_LIBS)
  set(_mikey_library_var MIKEY_STATIC_LIBRARY)
else()
  set(_mikey_library_var MIKEY_SHARED_LIBRARY)
endif()
find_package_handle_standard_args(Mikey
  REQUIRED_VARS ${_mikey_library_var} MIKEY_INCLUDE_DIR
  VERSION_VAR Mikey_VERSION)

if(Mikey_FOUND)
  set(Mikey_INCLUDE_DIRS "${MIKEY_INCLUDE_DIR}")
  set(Mikey_LIBRARIES "${MIKEY_LIBRARY}" ${_mikey_native_libs})
  if(NOT TARGET Mikey::mikey)
    if(MIKEY_USE_STATIC_LIBS)
      add_library(Mikey::mikey STATIC IMPORTED)
      set_target_properties(Mikey::mikey PROPERTIES
        IMPORTED_LINK_INTERFACE_LANGUAGES "C"
        INTERFACE_LINK_LIBRARIES "${_mikey_native_libs}")
    else()
      add_library(Mikey::mikey SHARED IMPORTED)
      # The linker records the SONAME (libmikey.so.0) found inside the file.
    endif()
    set_target_properties(Mikey::mikey PROPERTIES
      IMPORTED_LOCATION "${MIKEY_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${MIKEY_INCLUDE_DIR}")
  endif()
endif()

unset(_mikey_root)
unset(_mikey_include_hints)
unset(_mikey_library_hints)
unset(_mikey_native_libs)
unset(_mikey_library_var)
