# Install rules beyond the binaries (daemon/ and cli/ install those) and the
# man pages (cmake/Man.cmake), and the .deb: systemd units, sysusers.d,
# tmpfiles.d, shell completion and the docs. systemd searches
# <prefix>/lib/systemd/{system,user}, <prefix>/lib/sysusers.d and
# <prefix>/lib/tmpfiles.d for both /usr and /usr/local, so the paths below
# are relative to the prefix (not CMAKE_INSTALL_LIBDIR, which is multiarch).
#
#   cmake --install build --prefix /usr/local
#   cd build && cpack -G DEB       # keywarden_<version>_<arch>.deb
set(unit_dir ${CMAKE_CURRENT_BINARY_DIR}/systemd)
# ExecStart= names the installed binary, so the units are filled in at
# install time, when the prefix is final (cpack installs with /usr).
install(CODE "
  set(KEYWARDEN_SBINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}\")
  set(KEYWARDEN_DOCDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\")
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/systemd/keywardend.service.in
                 ${unit_dir}/system/keywardend.service @ONLY)
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/systemd/user/keywardend.service.in
                 ${unit_dir}/user/keywardend.service @ONLY)")
install(FILES ${unit_dir}/system/keywardend.service systemd/keywardend.socket
        DESTINATION lib/systemd/system)
install(FILES ${unit_dir}/user/keywardend.service systemd/user/keywardend.socket
        DESTINATION lib/systemd/user)
install(FILES systemd/keywarden.sysusers.conf DESTINATION lib/sysusers.d RENAME keywarden.conf)
install(FILES systemd/keywarden.tmpfiles.conf DESTINATION lib/tmpfiles.d RENAME keywarden.conf)
# Shell completion, where each shell's own packages look for it (bash-completion
# loads completions/keywarden on the first <TAB> after `keywarden`).
install(FILES completions/keywarden.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME keywarden)
install(FILES completions/_keywarden DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES completions/keywarden.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
file(GLOB keywarden_docs CONFIGURE_DEPENDS docs/*.md)
install(FILES README.md ${keywarden_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR})
# What Debian policy asks of every package's doc directory: a copyright file
# and, for a native package, changelog.gz.
install(FILES cmake/deb/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
configure_file(cmake/deb/changelog.in ${CMAKE_CURRENT_BINARY_DIR}/deb/changelog @ONLY)
# gzip -n: no name or time stamp in the header, so the package is reproducible.
execute_process(COMMAND gzip -9nc ${CMAKE_CURRENT_BINARY_DIR}/deb/changelog
                OUTPUT_FILE ${CMAKE_CURRENT_BINARY_DIR}/deb/changelog.gz COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/deb/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_NAME keywarden)
set(CPACK_PACKAGE_VENDOR keywarden)
set(CPACK_PACKAGE_CONTACT "keywarden maintainers <maintainers@keywarden.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "keeps LLM provider API keys encrypted, verified and rotated")
set(CPACK_PACKAGE_DESCRIPTION
    "keywarden keeps the API keys of LLM providers (OpenRouter, Mistral,
Gemini, OpenAI, Anthropic, DeepSeek and OpenAI-compatible endpoints)
encrypted, proves that each key works for the models it is meant for,
reminds its owner to rotate it and hands verified keys to coding tools.
The daemon keywardend runs under systemd (system or user units); the
keywarden command talks to it.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
# systemd-sysusers and systemd-tmpfiles run in postinst.
# procps: /bin/kill, the units' ExecReload=.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd (>= 250), procps")
# postinst creates the user and directories and enables nothing (on an
# upgrade it restarts a running daemon); prerm stops and disables the system
# units and stops users' keywardend user units on removal; postrm deletes
# the keys and config only on purge (docs/systemd.md "Removing").
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/cmake/deb/postinst
    ${CMAKE_CURRENT_SOURCE_DIR}/cmake/deb/prerm
    ${CMAKE_CURRENT_SOURCE_DIR}/cmake/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
