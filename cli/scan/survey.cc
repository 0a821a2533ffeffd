#include "scan/survey.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>

extern char** environ;

namespace keywarden::cli::scan {
namespace {

namespace fs = std::filesystem;

bool InWorkTree(fs::path dir) {
  std::error_code ec;
  for (;;) {
    if (fs::exists(dir / ".git", ec)) return true;
    fs::path parent = dir.parent_path();
    if (parent == dir || parent.empty()) return false;
    dir = std::move(parent);
  }
}

std::string Where(const Entry& entry) {
  return fmt::format("{}:{}", entry.find.file.string(), entry.find.line);
}

}  // namespace

bool GitTracked(const fs::path& file) {
  const fs::path dir = file.parent_path();
  if (!InWorkTree(dir)) return false;
  const std::string dir_text = dir.string(), name = file.filename().string();
  // core.fsmonitor would run a command named by the repository's config;
  // ls-files runs no hooks.
  std::vector<const char*> argv = {"git",
                                   "-c",
                                   "core.fsmonitor=false",
                                   "-C",
                                   dir_text.c_str(),
                                   "ls-files",
                                   "--error-unmatch",
                                   "--",
                                   name.c_str(),
                                   nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int spawned =
      posix_spawnp(&pid, "git", &actions, nullptr, const_cast<char* const*>(argv.data()), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return false;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Result<Survey> Run(const Options& options, Client* client) {
  Report report = Scan(options);
  Survey survey;
  survey.skipped = std::move(report.skipped);
  size_t number = 0;
  for (Find& find : report.finds) {
    Entry entry;
    entry.number = ++number;
    entry.find = std::move(find);
    survey.entries.push_back(std::move(entry));
  }
  // key.identify once per distinct key.
  if (client != nullptr) {
    survey.identified = true;
    for (size_t i = 0; i < survey.entries.size() && survey.identified; ++i) {
      Entry& entry = survey.entries[i];
      if (entry.identities) continue;
      Result<std::optional<std::vector<Identity>>> known =
          IdentifyKey(*client, entry.find.key.view());
      if (!known) return std::unexpected(known.error());
      if (!*known) {
        survey.identified = false;
        break;
      }
      for (size_t j = i; j < survey.entries.size(); ++j) {
        if (survey.entries[j].find.key.view() == entry.find.key.view()) {
          survey.entries[j].identities = **known;
        }
      }
    }
  }
  for (Entry& entry : survey.entries) {
    entry.what = entry.identities ? Describe(*entry.identities) : "not identified";
    if (!entry.identities) continue;
    std::vector<std::string> envs = Environments(*entry.identities);
    if (envs.size() >= 2) {
      std::string list;
      for (const std::string& env : envs) list += (list.empty() ? "" : ", ") + env;
      survey.findings.push_back(
          {entry.find.file, "two_environments",
           fmt::format("{}: the key {} is in the environments {} (one key, several environments)",
                       Where(entry), entry.find.Masked(), list)});
    }
  }
  // Per file: its mode and whether git tracks it.
  std::set<fs::path> files;
  for (const Entry& entry : survey.entries) files.insert(entry.find.file);
  for (const fs::path& file : files) {
    struct stat st{};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
      survey.findings.push_back(
          {file, "readable_by_others",
           fmt::format("{} holds a key and is readable by {} (mode {:04o}); chmod 600 it",
                       file.string(), (st.st_mode & S_IROTH) != 0 ? "others" : "its group",
                       st.st_mode & 07777)});
    }
    if (GitTracked(file)) {
      survey.findings.push_back(
          {file, "git_tracked",
           fmt::format("{} holds a key and is tracked by git: the key is in the repository's "
                       "history; rotate it",
                       file.string())});
    }
  }
  return survey;
}

}  // namespace keywarden::cli::scan
