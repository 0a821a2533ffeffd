// Export's building blocks on real files in a temporary directory: the
// JSONC, dotenv, YAML and TOML editors, the atomic writer, the dry-run
// preview, and each target's plan for a slot built in memory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <fstream>

#include "export/atomic_file.h"
#include "export/copy_file.h"
#include "export/dotenv_file.h"
#include "export/jsonc.h"
#include "export/preview.h"
#include "export/target.h"
#include "export/toml_edit.h"
#include "export/yaml_edit.h"
#include "support/temp_dir.h"

namespace keywarden::cli::exporting {
namespace {

namespace fs = std::filesystem;

using keywarden::testing::TempDir;

std::string Read(const fs::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), {}};
}

mode_t Mode(const fs::path& path) {
  struct stat st{};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

// --- JSONC --------------------------------------------------------------

TEST(JsoncTest, SettingAMemberKeepsCommentsAndEverythingElse) {
  std::string text =
      "{\n  // editor\n  \"editor.fontSize\": 14, /* big */\n  \"files.exclude\": {\"**/.git\": "
      "true},\n}\n";
  auto doc = JsoncDocument::Parse(text, true);
  ASSERT_TRUE(doc) << doc.error().message;
  ASSERT_TRUE(doc->Set({"roo-cline.autoImportSettingsPath"}, "/x/roo.json"));
  EXPECT_EQ(doc->text(),
            "{\n  // editor\n  \"editor.fontSize\": 14, /* big */\n  \"files.exclude\": "
            "{\"**/.git\": true},\n"
            "  \"roo-cline.autoImportSettingsPath\": \"/x/roo.json\"\n}\n");
  ASSERT_TRUE(doc->Set({"roo-cline.autoImportSettingsPath"}, "/y.json"));
  EXPECT_NE(doc->text().find("// editor"), std::string::npos);
  EXPECT_EQ(doc->value()["roo-cline.autoImportSettingsPath"], "/y.json");
  std::string once = doc->text();
  ASSERT_TRUE(doc->Set({"roo-cline.autoImportSettingsPath"}, "/y.json"));
  EXPECT_EQ(doc->text(), once) << "an equal value changes nothing";
}

TEST(JsoncTest, NestedSetCreatesObjectsAndRemoveTakesTheComma) {
  auto doc =
      JsoncDocument::Parse("{\n\t\"a\": 1,\n\t\"env\": {\n\t\t\"X\": \"1\"\n\t}\n}\n", false);
  ASSERT_TRUE(doc);
  ASSERT_TRUE(doc->Set({"env", "ANTHROPIC_BASE_URL"}, "http://h"));
  ASSERT_TRUE(doc->Set({"security", "auth", "selectedType"}, "gemini-api-key"));
  EXPECT_NE(doc->text().find("\t\t\"ANTHROPIC_BASE_URL\": \"http://h\"\n"), std::string::npos)
      << doc->text();
  EXPECT_EQ(doc->value()["security"]["auth"]["selectedType"], "gemini-api-key");
  ASSERT_TRUE(doc->Remove({"env", "ANTHROPIC_BASE_URL"}));
  ASSERT_TRUE(doc->Remove({"security"}));
  EXPECT_EQ(doc->text(), "{\n\t\"a\": 1,\n\t\"env\": {\n\t\t\"X\": \"1\"\n\t}\n}\n");
  EXPECT_TRUE(doc->Remove({"missing", "x"})) << "absent is not an error";
  EXPECT_FALSE(doc->Set({"a", "b"}, 1)) << "a is a number, not an object";
}

TEST(JsoncTest, InsertsWhenTheBraceSharesTheLastMembersLine) {
  auto doc = JsoncDocument::Parse("{\"a\": 1,\n \"b\": 2}", false);
  ASSERT_TRUE(doc);
  ASSERT_TRUE(doc->Set({"c"}, 3));
  EXPECT_EQ(doc->text(), "{\"a\": 1,\n \"b\": 2,\n \"c\": 3\n}");
  auto one_line = JsoncDocument::Parse("{\"k\": \"v\"}", false);
  ASSERT_TRUE(one_line->Set({"c"}, OrderedJson{{"d", 1}}));
  EXPECT_EQ(one_line->text(), "{\"k\": \"v\", \"c\": {\"d\":1}}");
}

TEST(JsoncTest, SyntaxErrorsNameLineAndColumn) {
  auto strict = JsoncDocument::Parse("{\n  \"a\": 1 // no comments in JSON\n}", false);
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.error().message.rfind("line 2, column 10", 0), 0u) << strict.error().message;
  auto missing_comma = JsoncDocument::Parse("{\"a\": 1\n \"b\": 2}", true);
  ASSERT_FALSE(missing_comma);
  EXPECT_NE(missing_comma.error().message.find("line 2"), std::string::npos);
  EXPECT_FALSE(JsoncDocument::Parse("{\"a\": 1,}", false)) << "trailing commas only in JSONC";
  EXPECT_TRUE(JsoncDocument::Parse("{\"a\": [1, 2,],}", true));
}

// --- dotenv -------------------------------------------------------------

TEST(CopyFileTest, ReadsTheKeyAtADotenvFieldInEveryShape) {
  const std::string key = "sk-or-v1-abc";
  for (const std::string& text :
       {"K=" + key + "\n", "export K=" + key + "\n", "K='" + key + "'\n", "K=\"" + key + "\"\n",
        "K=" + key + "\r\n", "\xEF\xBB\xBFK=" + key + "\n", "# c\nK = " + key + " # note\n",
        "K=" + key}) {
    Result<std::optional<std::string>> read = ReadKeyField(text, "dotenv:K");
    ASSERT_TRUE(read) << text;
    EXPECT_EQ(read->value_or("(none)"), key) << text;
  }
  EXPECT_FALSE(ReadKeyField("OTHER=1\n", "dotenv:K")->has_value());
  EXPECT_FALSE(ReadKeyField("not an assignment\n", "dotenv:K"));
  EXPECT_FALSE(ReadKeyField("K=1\n", "line:3")) << "an unknown kind of field";
}

TEST(CopyFileTest, ReadsAndReplacesTheKeyAtAJsonPointerKeepingTheRest) {
  const std::string text =
      "{\n  // mine\n  \"a/b\": {\"key\": \"old\", \"n\": 1},\n  \"other\": \"x\",\n}\n";
  EXPECT_EQ(ReadKeyField(text, "json:/a~1b/key")->value_or(""), "old");
  EXPECT_FALSE(ReadKeyField(text, "json:/a~1b/n")->has_value()) << "not a string";
  EXPECT_FALSE(ReadKeyField(text, "json:/missing/key")->has_value());
  Result<std::string> replaced = ReplaceKeyField(text, "json:/a~1b/key", "new");
  ASSERT_TRUE(replaced) << replaced.error().message;
  EXPECT_EQ(*replaced,
            "{\n  // mine\n  \"a/b\": {\"key\": \"new\", \"n\": 1},\n  \"other\": \"x\",\n}\n");
  EXPECT_EQ(*ReplaceKeyField("# top\nK=old\r\nL=2\n", "dotenv:K", "new"), "# top\nK=new\nL=2\n");
  EXPECT_FALSE(ReplaceKeyField("{", "json:/k", "new"));
}

TEST(DotenvTest, ReplacesOwnLinesInPlaceKeepsTheRest) {
  std::string text =
      "# keys\nA=1\nexport OPENROUTER_API_KEY=old\nB=\"two\nlines\"\nOPENROUTER_API_KEY=dup\n";
  auto out =
      EditDotenv(text, {{"OPENROUTER_API_KEY", "sk-new"}, {"C", "x y"}, {"B", std::nullopt}});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "# keys\nA=1\nexport OPENROUTER_API_KEY=sk-new\nC='x y'\n");
  auto bad = EditDotenv("A=1\nthis is not a variable\n", {{"A", "2"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "line 2: expected NAME=value");
}

// --- YAML and TOML ------------------------------------------------------

const OrderedJson kSkeleton = {{"name", "Local Config"}, {"version", "1.0.0"}, {"schema", "v1"}};

OrderedJson Model(const std::string& name, const std::string& model) {
  return {
      {"name", name}, {"provider", "openrouter"}, {"model", model}, {"roles", {"chat", "edit"}}};
}

TEST(YamlEditTest, AppendsThenReplacesOwnItemKeepingComments) {
  std::string text =
      "name: Mine # my config\nversion: 1.0.0\nmodels:\n  # the user's model\n  - name: theirs\n"
      "    provider: ollama\n    model: llama3\n\n# context providers\ncontext: []\n";
  auto added = UpsertYamlListItem(text, "models", "name", Model("keywarden-dev-x", "a"), kSkeleton);
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_FALSE(added->formatting_lost);
  EXPECT_EQ(
      added->text,
      "name: Mine # my config\nversion: 1.0.0\nmodels:\n  # the user's model\n  - name: theirs\n"
      "    provider: ollama\n    model: llama3\n  - name: keywarden-dev-x\n    provider: "
      "openrouter\n"
      "    model: a\n    roles: [chat, edit]\n\n# context providers\ncontext: []\n");
  auto replaced =
      UpsertYamlListItem(added->text, "models", "name", Model("keywarden-dev-x", "b"), kSkeleton);
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->text.find("model: a"), std::string::npos);
  EXPECT_NE(replaced->text.find("    model: b\n    roles: [chat, edit]\n\n# context providers"),
            std::string::npos)
      << replaced->text;
  auto again = UpsertYamlListItem(replaced->text, "models", "name", Model("keywarden-dev-x", "b"),
                                  kSkeleton);
  EXPECT_EQ(again->text, replaced->text);
}

TEST(YamlEditTest, FlowListIsRewrittenWholeAndSaysSo) {
  auto out = UpsertYamlListItem("name: x # gone\nversion: 1\nmodels: []\n", "models", "name",
                                Model("k", "m"), kSkeleton);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->formatting_lost);
  EXPECT_NE(out->text.find("- name: k"), std::string::npos);
}

TEST(YamlEditTest, RefusesWhatDoesNotParseOrIsNotAMapping) {
  auto bad = UpsertYamlListItem("name: x\nmodels:\n  - [unclosed\n", "models", "name",
                                Model("k", "m"), kSkeleton);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message.rfind("line ", 0), 0u) << bad.error().message;
  auto list = UpsertYamlListItem("- a\n- b\n", "models", "name", Model("k", "m"), kSkeleton);
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().code, ErrorCode::kConflict);
}

TEST(TomlEditTest, SplicesOwnTablesAndKeysKeepingComments) {
  std::string text =
      "# codex\nmodel = \"o3\"  # mine\napproval_policy = "
      "\"never\"\n\n[model_providers.other]\nname = \"Other\"\n"
      "\n[profiles.fast]\nmodel = \"gpt-5\"\n";
  OrderedJson top = {{"model", "gpt-5.1"}, {"model_provider", "keywarden-dev-o"}};
  OrderedJson table = {{"name", "keywarden dev/o"},
                       {"auth", {{"command", "/bin/kw"}, {"args", {"get", "dev/o"}}}}};
  auto first = UpsertToml(text, top, {"model_providers", "keywarden-dev-o"}, table);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->formatting_lost);
  EXPECT_EQ(first->text,
            "# codex\nmodel = \"gpt-5.1\"  # mine\napproval_policy = \"never\"\nmodel_provider = "
            "\"keywarden-dev-o\"\n"
            "\n[model_providers.other]\nname = \"Other\"\n\n[profiles.fast]\nmodel = \"gpt-5\"\n\n"
            "[model_providers.keywarden-dev-o]\nname = \"keywarden dev/o\"\n\n"
            "[model_providers.keywarden-dev-o.auth]\nargs = [ \"get\", \"dev/o\" ]\ncommand = "
            "\"/bin/kw\"\n");
  table["name"] = "renamed";
  auto second = UpsertToml(first->text, top, {"model_providers", "keywarden-dev-o"}, table);
  ASSERT_TRUE(second);
  EXPECT_NE(second->text.find("name = \"renamed\"\n\n[model_providers.keywarden-dev-o.auth]"),
            std::string::npos);
  auto third = UpsertToml(second->text, top, {"model_providers", "keywarden-dev-o"}, table);
  EXPECT_EQ(third->text, second->text) << "exporting twice gives the same bytes";
}

TEST(TomlEditTest, InlineOwnTableFallsBackAndBadTomlIsRefused) {
  auto inline_table = UpsertToml("model_providers = { keywarden-dev-o = { name = \"x\" } }\n", {},
                                 {"model_providers", "keywarden-dev-o"}, {{"name", "y"}});
  ASSERT_TRUE(inline_table);
  EXPECT_TRUE(inline_table->formatting_lost);
  auto bad = UpsertToml("model = \"x\"\n[broken\n", {}, {"a", "b"}, {{"k", "v"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("line 2", 0), 0u) << bad.error().message;
  auto not_table = UpsertToml("model_providers = 3\n", {}, {"model_providers", "x"}, {{"k", "v"}});
  ASSERT_FALSE(not_table);
  EXPECT_EQ(not_table.error().code, ErrorCode::kConflict);
}

// --- atomic writes and the preview --------------------------------------

TEST(AtomicFileTest, SecretFileIs0600InNew0700DirectoriesWithBackup) {
  TempDir dir;
  fs::path file = dir.path() / "a" / "b" / "providers.json";
  const fs::path backups = dir.path() / "backups";
  ASSERT_EQ(*WriteAtomically(file, "one", {.secret = true, .backup_dir = backups}),
            WriteOutcome::kCreated);
  EXPECT_EQ(Mode(file), 0600u);
  EXPECT_EQ(Mode(dir.path() / "a"), 0700u);
  EXPECT_EQ(Mode(dir.path() / "a" / "b"), 0700u);
  ASSERT_EQ(*WriteAtomically(file, "two", {.secret = true, .backup_dir = backups}),
            WriteOutcome::kReplaced);
  EXPECT_EQ(Read(file), "two");
  EXPECT_EQ(BackupPath(file, backups), backups / file.relative_path());
  EXPECT_EQ(Read(BackupPath(file, backups)), "one");
  EXPECT_EQ(Mode(BackupPath(file, backups)), 0600u);
  ASSERT_EQ(*WriteAtomically(file, "two", {.secret = true, .backup_dir = backups}),
            WriteOutcome::kUnchanged);
  EXPECT_EQ(Read(BackupPath(file, backups)), "one") << "an unchanged file keeps its backup";
  for (const auto& entry : fs::directory_iterator(file.parent_path())) {
    EXPECT_EQ(entry.path().filename().string().find(".keywarden-"), std::string::npos)
        << "no temp file left";
    EXPECT_EQ(entry.path().filename(), "providers.json") << "no backup next to the file";
  }
}

// A file that holds no secret may hold one all the same (a foreign key in a
// config): its backup is 0600 too, in directories made 0700.
TEST(AtomicFileTest, BackupOfAPlainFileIs0600OutsideItsDirectory) {
  TempDir dir;
  const fs::path project = dir.path() / "project";
  fs::create_directory(project);
  ::chmod(project.c_str(), 0755);
  std::ofstream(project / "config.yaml") << "apiKey: sk-other-0123456789abcdef\n";
  ::chmod((project / "config.yaml").c_str(), 0644);
  const fs::path backups = dir.path() / "state" / "backups";
  ASSERT_EQ(*WriteAtomically(project / "config.yaml", "a: 1\n", {.backup_dir = backups}),
            WriteOutcome::kReplaced);
  EXPECT_EQ(Mode(project / "config.yaml"), 0644u);
  const fs::path backup = BackupPath(project / "config.yaml", backups);
  EXPECT_EQ(Read(backup), "apiKey: sk-other-0123456789abcdef\n");
  EXPECT_EQ(Mode(backup), 0600u);
  for (fs::path d = backup.parent_path(); d != dir.path(); d = d.parent_path())
    EXPECT_EQ(Mode(d), 0700u) << d;
  EXPECT_EQ(std::distance(fs::directory_iterator(project), {}), 1) << "nothing but the file";
}

// A FILE.keywarden.bak an earlier version left in a project moves into the
// backup directory, 0600; one owned by someone else, or a symlink, stays.
TEST(AtomicFileTest, OldBackupNextToTheFileMovesOut) {
  TempDir dir;
  const fs::path env = dir.path() / ".env";
  std::ofstream(env) << "K=new\n";
  std::ofstream(dir.path() / ".env.keywarden.bak") << "K=old\n";
  ::chmod((dir.path() / ".env.keywarden.bak").c_str(), 0644);
  const fs::path backups = dir.path() / "backups";
  Result<std::optional<fs::path>> moved = MoveOldBackup(env, backups);
  ASSERT_TRUE(moved);
  ASSERT_TRUE(*moved);
  EXPECT_EQ(**moved, fs::path(BackupPath(env, backups).string() + ".older"));
  EXPECT_EQ(Read(**moved), "K=old\n");
  EXPECT_EQ(Mode(**moved), 0600u);
  EXPECT_FALSE(fs::exists(dir.path() / ".env.keywarden.bak"));
  moved = MoveOldBackup(env, backups);
  ASSERT_TRUE(moved);
  EXPECT_FALSE(*moved) << "nothing more to move";
  fs::create_symlink(env, dir.path() / ".env.keywarden.bak");
  moved = MoveOldBackup(env, backups);
  ASSERT_TRUE(moved);
  EXPECT_FALSE(*moved);
  EXPECT_TRUE(fs::is_symlink(dir.path() / ".env.keywarden.bak")) << "not ours to move";
}

TEST(AtomicFileTest, ExistingDirectoryKeepsItsModeAndPlainFileKeepsItsMode) {
  TempDir dir;
  fs::path shared = dir.path() / "shared";
  fs::create_directory(shared);
  ::chmod(shared.c_str(), 0755);
  ASSERT_TRUE(WriteAtomically(shared / ".env", "K=v\n", {.secret = true}));
  EXPECT_EQ(Mode(shared), 0755u) << "a directory keywarden did not create is only warned about";
  EXPECT_EQ(Mode(shared / ".env"), 0600u);
  std::ofstream(dir.path() / "config.toml") << "a = 1\n";
  ::chmod((dir.path() / "config.toml").c_str(), 0640);
  ASSERT_TRUE(WriteAtomically(dir.path() / "config.toml", "a = 2\n", {}));
  EXPECT_EQ(Mode(dir.path() / "config.toml"), 0640u);
}

// A symlink into another directory (dotfiles, or anywhere outside HOME):
// the target is replaced, and its directory's mode is not keywarden's.
TEST(AtomicFileTest, SecretThroughASymlinkLeavesTheTargetsDirectoryMode) {
  TempDir dir;
  fs::path outside = dir.path() / "outside";
  fs::create_directory(outside);
  ::chmod(outside.c_str(), 0755);
  std::ofstream(outside / "providers.json") << "{}";
  fs::create_directory(dir.path() / "home");
  fs::create_symlink(outside / "providers.json", dir.path() / "home/providers.json");
  ASSERT_TRUE(WriteAtomically(dir.path() / "home/providers.json", "{\"k\": 1}", {.secret = true}));
  EXPECT_EQ(Mode(outside), 0755u);
  EXPECT_EQ(Read(outside / "providers.json"), "{\"k\": 1}");
  EXPECT_EQ(ReplacedFile(dir.path() / "home/providers.json"),
            fs::canonical(outside) / "providers.json");
  EXPECT_FALSE(fs::exists(outside / "providers.json.keywarden.bak"));
}

// A FIFO would block open(2) for reading until a writer came: it is refused
// at once, as is anything else that is not a regular file.
TEST(AtomicFileTest, FifoOrDirectoryIsRefusedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir.path() / "fifo").c_str(), 0600), 0);
  Result<std::optional<std::string>> fifo = ReadIfExists(dir.path() / "fifo");
  ASSERT_FALSE(fifo);
  EXPECT_NE(fifo.error().message.find("is a FIFO, not a regular file"), std::string::npos)
      << fifo.error().message;
  Result<WriteOutcome> written = WriteAtomically(dir.path() / "fifo", "K=v\n", {.secret = true});
  ASSERT_FALSE(written);
  EXPECT_EQ(fs::status(dir.path() / "fifo").type(), fs::file_type::fifo) << "left as it was";
  Result<std::optional<std::string>> directory = ReadIfExists(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().message.find("is a directory"), std::string::npos);
}

// Temp files a killed export left (.FILE.keywarden-PID-XXXXXX, or
// .FILE.keywarden-XXXXXX from before the pid was in the name) are removed
// by the next write of FILE; files of other names, other owners or of a
// live writer are not.
TEST(AtomicFileTest, NextWriteRemovesStaleTempFilesOfItsOwnPatternOnly) {
  TempDir dir;
  const fs::path file = dir.path() / ".env";
  pid_t dead = ::fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  ::waitpid(dead, nullptr, 0);
  auto plant = [&](const std::string& name, int age_seconds) {
    const fs::path path = dir.path() / name;
    std::ofstream(path) << "OPENROUTER_API_KEY=sk-or-v1-old\n";
    timespec times[2] = {{::time(nullptr) - age_seconds, 0}, {::time(nullptr) - age_seconds, 0}};
    ::utimensat(AT_FDCWD, path.c_str(), times, 0);
    return path;
  };
  const fs::path of_dead = plant(".env.keywarden-" + std::to_string(dead) + "-Ab3dEf", 0);
  const fs::path old_style = plant("..env.keywarden.bak.keywarden-Zx9yW1", 3600);
  const fs::path own_dead = plant("..env.keywarden-" + std::to_string(dead) + "-Qw3rTy", 0);
  const fs::path old_own = plant("..env.keywarden-aB1cD2", 3600);
  const fs::path live = plant("..env.keywarden-" + std::to_string(::getpid()) + "-Live01", 0);
  const fs::path fresh_old_style = plant("..env.keywarden-fResh1", 0);
  const fs::path other_name = plant("..env.keywarden-notes.txt", 3600);
  const fs::path other_file = plant("..envrc.keywarden-aB1cD2", 3600);

  ASSERT_TRUE(WriteAtomically(file, "K=v\n", {.secret = true}));
  EXPECT_FALSE(fs::exists(own_dead));
  EXPECT_FALSE(fs::exists(old_own));
  EXPECT_TRUE(fs::exists(old_style)) << "a temp file of an old-style backup: not this file's";
  EXPECT_TRUE(fs::exists(live)) << "a live writer's file";
  EXPECT_TRUE(fs::exists(fresh_old_style)) << "may be a concurrent older keywarden's";
  EXPECT_TRUE(fs::exists(other_name));
  EXPECT_TRUE(fs::exists(other_file));
  EXPECT_TRUE(fs::exists(of_dead)) << "not a hidden temp name";
  if (::geteuid() == 0) {
    const fs::path foreign = plant("..env.keywarden-fOr3gn", 3600);
    ASSERT_EQ(::chown(foreign.c_str(), 65534, 65534), 0);
    ASSERT_TRUE(WriteAtomically(file, "K=w\n", {.secret = true}));
    EXPECT_TRUE(fs::exists(foreign)) << "another user's file is not ours to remove";
  }
}

// The new bytes arrive by rename, never by rewriting the old file in place:
// a reader that opened the old file still reads all of it.
TEST(AtomicFileTest, ReplacesByRenameSoNoReaderSeesAMix) {
  TempDir dir;
  fs::path file = dir.path() / "config.toml";
  std::ofstream(file) << "old = 1\n";
  std::ifstream reader(file);
  struct stat before{};
  ::stat(file.c_str(), &before);
  ASSERT_TRUE(WriteAtomically(file, "new = 2\n", {}));
  struct stat after{};
  ::stat(file.c_str(), &after);
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(reader), {}), "old = 1\n");
  EXPECT_EQ(Read(file), "new = 2\n");
}

TEST(AtomicFileTest, SymlinkIsReplacedAtItsTarget) {
  TempDir dir;
  fs::create_directory(dir.path() / "dotfiles");
  std::ofstream(dir.path() / "dotfiles/settings.json") << "{}";
  fs::create_symlink(dir.path() / "dotfiles/settings.json", dir.path() / "settings.json");
  const fs::path backups = dir.path() / "backups";
  ASSERT_TRUE(WriteAtomically(dir.path() / "settings.json", "{\"a\": 1}", {.backup_dir = backups}));
  EXPECT_TRUE(fs::is_symlink(dir.path() / "settings.json"));
  EXPECT_EQ(Read(dir.path() / "dotfiles/settings.json"), "{\"a\": 1}");
  EXPECT_EQ(Read(BackupPath(fs::canonical(dir.path() / "dotfiles/settings.json"), backups)), "{}")
      << "the backup is of the target";
}

TEST(PreviewTest, DiffMasksTheSecret) {
  const std::string secret = "sk-or-v1-0123456789abcdef0123456789abcdef";
  FileChange change{"/x/.env", std::string("A=1\n"), "A=1\nOPENROUTER_API_KEY=" + secret + "\n",
                    true};
  std::string text = DescribeChange(change, secret);
  EXPECT_EQ(text.find(secret), std::string::npos) << text;
  EXPECT_NE(text.find("+OPENROUTER_API_KEY=sk-or-v1-…cdef"), std::string::npos) << text;
  EXPECT_NE(text.find(" A=1"), std::string::npos) << "context line";
  FileChange same{"/x/.env", std::string("A=1\n"), "A=1\n", false};
  EXPECT_EQ(DescribeChange(same, secret), "/x/.env: no change\n");
}

// The file's other secrets are masked as well as the one exported: the
// previous key, and other providers' keys, in every file shape a target
// edits; names, URLs, model ids and references stay readable.
TEST(PreviewTest, DiffMasksEverySecretInTheFile) {
  const std::string secret = "sk-or-v1-0123456789abcdef0123456789abcdef";
  const std::string old_key = "sk-or-v1-ffffeeeeddddccccbbbbaaaa9999888877776666";
  const std::string mistral = "AbCdEfGh0123456789IjKlMnOpQrStUv";  // no prefix
  const std::string before =
      "OPENROUTER_API_KEY=" + old_key + "\nMISTRAL_API_KEY=" + mistral +
      "\nexport DEEPSEEK_API_KEY='sk-deepseek-aaaabbbbccccdddd'\n" +
      "{\"apiKey\": \"plain-secret-value\", \"baseUrl\": \"http://x/v1\"}\n" +
      "apiKey: ${{ secrets.OPENROUTER_API_KEY }}\n" + "api_key = \"toml-secret-value-1\"\n" +
      "model: claude-sonnet-4-20250514\nloose " + mistral + " word\n" +
      "apiKeyHelper: /usr/bin/keywarden get dev/x\n";
  const std::string after = before + "OPENROUTER_API_KEY=" + secret + "\n";
  FileChange change{"/x/.env", std::nullopt, after, true};  // all of it shown
  const std::string text = DescribeChange(change, secret);
  for (const std::string& hidden :
       {secret, old_key, mistral, std::string("sk-deepseek-aaaabbbbccccdddd"),
        std::string("plain-secret-value"), std::string("toml-secret-value-1")}) {
    EXPECT_EQ(text.find(hidden), std::string::npos) << hidden << " in\n" << text;
  }
  for (const std::string& shown :
       {std::string("OPENROUTER_API_KEY=sk-or-v1-…6666"), std::string("MISTRAL_API_KEY=…"),
        std::string("http://x/v1"), std::string("${{ secrets.OPENROUTER_API_KEY }}"),
        std::string("claude-sonnet-4-20250514"), std::string("/usr/bin/keywarden get dev/x"),
        std::string("+OPENROUTER_API_KEY=sk-or-v1-…cdef")}) {
    EXPECT_NE(text.find(shown), std::string::npos) << shown << " not in\n" << text;
  }
  // Two keys that mask alike are still a change.
  FileChange swapped{"/x/.env", "K=" + old_key + "\n",
                     "K=" + old_key.substr(0, 20) + "x" + old_key.substr(21) + "\n", true};
  EXPECT_NE(DescribeChange(swapped, secret).find("@@"), std::string::npos);
}

// --- target plans for slots built in memory ------------------------------

// A fresh $HOME (and no XDG_CONFIG_HOME) for one test.
class TargetPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"HOME", "XDG_CONFIG_HOME"}) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
    }
    ::setenv("HOME", dir_.path().c_str(), 1);
    ::unsetenv("XDG_CONFIG_HOME");
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      value ? ::setenv(name.c_str(), value->c_str(), 1) : ::unsetenv(name.c_str());
    }
  }

  static Slot MakeSlot(const std::string& provider, const std::string& base_url,
                       const std::string& model) {
    Slot slot;
    slot.ref = "dev/" + provider;
    slot.env = "dev";
    slot.name = provider;
    slot.provider = provider;
    slot.base_url = base_url;
    slot.env_var = "X_API_KEY";
    slot.models = {model};
    slot.secret = SecretBuffer::Copy("secret-1234");
    return slot;
  }

  static OrderedJson After(const Plan& plan, size_t file) {
    return OrderedJson::parse(plan.files[file].after);
  }

  TempDir dir_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(TargetPlanTest, DefaultEndpointWritesNoBaseUrlAndDropsAStaleOne) {
  Slot slot = MakeSlot("openrouter", "https://openrouter.ai/api/v1/", "deepseek/deepseek-chat");
  Request request{
      .slot = &slot, .model = "deepseek/deepseek-chat", .get_command = {"/kw", "get", "dev/x"}};
  std::ofstream(dir_.path() / "stale.json")
      << R"({"providers": {"openrouter": {"settings": {"baseUrl": "http://old/v1", "apiKey": "old"}}}})";
  request.path = dir_.path() / "stale.json";
  Result<Plan> cline = PlanCline(request);
  ASSERT_TRUE(cline) << cline.error().message;
  OrderedJson settings = After(*cline, 0)["providers"]["openrouter"]["settings"];
  EXPECT_FALSE(settings.contains("baseUrl")) << settings.dump();
  EXPECT_EQ(settings["apiKey"], "secret-1234");
  request.path.clear();
  Result<Plan> roo = PlanRoo(request);
  ASSERT_TRUE(roo);
  EXPECT_FALSE(
      After(*roo, 0)["providerProfiles"]["apiConfigs"]["keywarden-dev-openrouter"].contains(
          "openRouterBaseUrl"));
  Result<Plan> continue_plan = PlanContinue(request);
  ASSERT_TRUE(continue_plan);
  EXPECT_EQ(continue_plan->files[1].after.find("apiBase"), std::string::npos);
  EXPECT_EQ(continue_plan->files[0].path, dir_.path() / ".continue/.env");
  Result<Plan> claude = PlanClaudeCode(request);
  ASSERT_TRUE(claude);
  EXPECT_EQ(After(*claude, 0)["env"]["ANTHROPIC_BASE_URL"], "https://openrouter.ai/api")
      << "OpenRouter's Anthropic route is always spelled out";
  EXPECT_EQ(After(*claude, 0)["apiKeyHelper"], "/kw get dev/x");
}

TEST_F(TargetPlanTest, RooSendsACodestralModelOnAGeneralKeyToTheGeneralHost) {
  Slot slot = MakeSlot("mistral", "https://api.mistral.ai/v1", "codestral-2508");
  Request request{.slot = &slot, .model = "codestral-2508"};
  Result<Plan> roo = PlanRoo(request);
  ASSERT_TRUE(roo);
  OrderedJson profile = After(*roo, 0)["providerProfiles"]["apiConfigs"]["keywarden-dev-mistral"];
  EXPECT_EQ(profile["mistralCodestralUrl"], "https://api.mistral.ai");
  EXPECT_EQ(profile["apiProvider"], "mistral");
  EXPECT_EQ(roo->files[1].path, dir_.path() / ".config/Code/User/settings.json");
}

TEST_F(TargetPlanTest, OpenAiCompatibleSlotAlwaysNamesItsUrl) {
  Slot slot = MakeSlot("openai-compatible", "https://llm.example.com/v1", "qwen-coder");
  Request request{.slot = &slot, .model = "qwen-coder"};
  Result<Plan> cline = PlanCline(request);
  ASSERT_TRUE(cline);
  OrderedJson settings = After(*cline, 0)["providers"]["openai-compatible"]["settings"];
  EXPECT_EQ(settings["baseUrl"], "https://llm.example.com/v1");
  Result<Plan> continue_plan = PlanContinue(request);
  ASSERT_TRUE(continue_plan);
  EXPECT_NE(continue_plan->files[1].after.find("provider: openai\n"), std::string::npos);
  EXPECT_NE(continue_plan->files[1].after.find("apiBase: https://llm.example.com/v1"),
            std::string::npos);
  Result<Plan> shell = PlanShell(request);
  EXPECT_EQ(shell->stdout_text, "export X_API_KEY=secret-1234\n");
}

// A UTF-8 byte order mark, as Windows editors write one, is read past and
// written back: Cline's providers.json, VS Code's settings.json (Roo),
// Claude Code's settings.json and a .env file.
constexpr std::string_view kBom = "\xEF\xBB\xBF";

TEST_F(TargetPlanTest, ByteOrderMarkIsKeptInClineRooClaudeAndDotenvFiles) {
  Slot slot = MakeSlot("openrouter", "https://openrouter.ai/api/v1", "deepseek/deepseek-chat");
  Request request{
      .slot = &slot, .model = "deepseek/deepseek-chat", .get_command = {"/kw", "get", "dev/x"}};
  auto bommed = [&](const fs::path& file, std::string_view body) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << kBom << body;
    return file;
  };
  auto after_bom = [](const Plan& plan, size_t file) {
    std::string_view after = plan.files[file].after;
    EXPECT_TRUE(after.starts_with(kBom)) << after;
    return OrderedJson::parse(after.substr(kBom.size()));
  };

  request.path = bommed(dir_.path() / "providers.json", R"({"version": 1, "modes": {}})");
  Result<Plan> cline = PlanCline(request);
  ASSERT_TRUE(cline) << cline.error().message;
  EXPECT_EQ(after_bom(*cline, 0)["providers"]["openrouter"]["settings"]["apiKey"], "secret-1234");

  request.path = bommed(dir_.path() / "claude.json", "{\n  \"model\": \"x\"\n}\n");
  Result<Plan> claude = PlanClaudeCode(request);
  ASSERT_TRUE(claude) << claude.error().message;
  EXPECT_EQ(after_bom(*claude, 0)["apiKeyHelper"], "/kw get dev/x");

  request.path.clear();
  bommed(dir_.path() / ".config/Code/User/settings.json", "{\n  // editor\n  \"a\": 1,\n}\n");
  Result<Plan> roo = PlanRoo(request);
  ASSERT_TRUE(roo) << roo.error().message;
  ASSERT_TRUE(roo->files[1].after.starts_with(kBom)) << roo->files[1].after;
  EXPECT_NE(roo->files[1].after.find("// editor"), std::string::npos);
  EXPECT_NE(roo->files[1].after.find("\"roo-cline.autoImportSettingsPath\""), std::string::npos);

  request.path = bommed(dir_.path() / ".env", "# mine\nOTHER=1\n");
  Result<Plan> dotenv = PlanDotenv(request);
  ASSERT_TRUE(dotenv) << dotenv.error().message;
  EXPECT_EQ(dotenv->files[0].after, std::string(kBom) + "# mine\nOTHER=1\nX_API_KEY=secret-1234\n");

  // A file that is only a byte order mark counts as empty, and keeps it.
  request.path = bommed(dir_.path() / "empty.json", "");
  Result<Plan> empty = PlanCline(request);
  ASSERT_TRUE(empty) << empty.error().message;
  after_bom(*empty, 0);
}

}  // namespace
}  // namespace keywarden::cli::exporting
