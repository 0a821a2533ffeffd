# The man pages keywarden(1), keywardend(8) and keywarden-config(5), each
# built from one markdown source in docs/man/ with pandoc, gzipped (-n: no
# name or time stamp, so the package is reproducible) into build/man-pages/, and
# installed to share/man/man{1,5,8}. Built with everything else when pandoc
# is found (scripts/setup installs it); without it the pages are neither
# built nor installed, and configure says so.
set(keywarden_man_pages keywarden.1 keywardend.8 keywarden-config.5)
find_program(PANDOC_EXECUTABLE pandoc)
if(NOT PANDOC_EXECUTABLE)
  message(WARNING "pandoc not found: the man pages (docs/man/*.md) will not be built or "
                  "installed, nor be in the .deb. Install pandoc (scripts/setup does) "
                  "and configure again.")
  return()
endif()
message(STATUS "Man pages: built with ${PANDOC_EXECUTABLE}")
set(man_dir ${CMAKE_CURRENT_BINARY_DIR}/man-pages)
set(man_outputs)
foreach(page IN LISTS keywarden_man_pages)
  string(REGEX REPLACE "^.*\\.([0-9])$" "\\1" section ${page})
  set(source ${CMAKE_CURRENT_SOURCE_DIR}/docs/man/${page}.md)
  add_custom_command(
    OUTPUT ${man_dir}/${page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${man_dir}
    COMMAND ${PANDOC_EXECUTABLE} --standalone --from markdown --to man
            --metadata "footer=keywarden ${PROJECT_VERSION}" --output ${man_dir}/${page} ${source}
    COMMAND gzip -9nf ${man_dir}/${page}
    DEPENDS ${source}
    COMMENT "Building man page ${page}"
    VERBATIM)
  list(APPEND man_outputs ${man_dir}/${page}.gz)
  install(FILES ${man_dir}/${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(man ALL DEPENDS ${man_outputs})
