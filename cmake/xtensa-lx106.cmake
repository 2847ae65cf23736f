# Cross toolchain for Xtensa: Debian's gcc-xtensa-lx106 with picolibc, the
# programs run under qemu-system-xtensa. Used by the `xtensa` preset:
#   cmake --preset xtensa && cmake --build --preset xtensa && ctest --preset xtensa
# For a real board: point CMAKE_C_COMPILER at the board's toolchain
# (xtensa-<core>-elf-gcc), its C library's specs, and drop the emulator.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR xtensa)

set(CMAKE_C_COMPILER xtensa-lx106-elf-gcc)
set(CMAKE_ASM_COMPILER xtensa-lx106-elf-gcc)
# gcc-ar: lib/ is built with -flto, so its archive indexes GCC's IR objects.
set(CMAKE_AR xtensa-lx106-elf-gcc-ar CACHE FILEPATH "")
set(CMAKE_RANLIB xtensa-lx106-elf-gcc-ranlib CACHE FILEPATH "")
set(CMAKE_OBJDUMP xtensa-lx106-elf-objdump CACHE FILEPATH "")

# picolibc's specs must be named by full path (gcc does not search for them).
set(SMPHEAP_PICOLIBC_SPECS /usr/lib/xtensa-lx106-elf/picolibc.specs)
set(CMAKE_C_FLAGS_INIT "--specs=${SMPHEAP_PICOLIBC_SPECS} -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "--specs=${SMPHEAP_PICOLIBC_SPECS}")

# There is no OS to run a test program during configuration, and a bare-metal
# link needs our start code and linker script: check the compiler by
# building a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH /usr/lib/xtensa-lx106-elf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# add_test(NAME x COMMAND <target>) runs the ELF under QEMU, one lx106 core,
# with a timeout. The 4-core programs use qemu-smp.sh explicitly.
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/../platform/xtensa/qemu-lx106.sh)
