// Tests for core/src/crypto against docs/storage-format.md: envelopes, key
// wrapping, subkeys, fingerprints, master key files and SecretBuffer.
#include "keywarden/crypto.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <unordered_set>

#include "keywarden/secret.h"
#include "support/temp_dir.h"

namespace keywarden {
namespace {

namespace fs = std::filesystem;

Bytes FromHex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

SecretBuffer SecretFromHex(std::string_view hex) {
  Bytes bytes = FromHex(hex);
  return SecretBuffer::Copy({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 15]);
  }
  return hex;
}

// The vectors of docs/storage-format.md, "Test vectors".
constexpr std::string_view kVectorKey =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr std::string_view kVectorDataKey =
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
constexpr std::string_view kVectorPlaintext = "sk-kw-test-vector-0001";

RowBinding VectorBinding() {
  return {"00000000-0000-4000-8000-000000000001", "dev/openrouter", "openrouter", 1, 7, 2};
}

void ExpectIntegrityFailure(const Result<SecretBuffer>& opened) {
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kIntegrity);
  // One opaque message for every failure: nothing tells the cases apart.
  EXPECT_EQ(opened.error().message, "ciphertext failed authentication");
}

TEST(EnvelopeTest, SealThenOpenRoundTrips) {
  SecretBuffer key = RandomKey();
  std::string ad = BindingData(VectorBinding());
  for (std::string_view plaintext : {std::string_view(""), kVectorPlaintext}) {
    Bytes envelope = Seal(key, plaintext, ad);
    ASSERT_EQ(envelope.size(), 1 + 24 + plaintext.size() + 16);
    EXPECT_EQ(envelope[0], kEnvelopeVersion);
    Result<SecretBuffer> opened = Open(key, envelope, ad);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    EXPECT_EQ(opened->view(), plaintext);
  }
}

TEST(EnvelopeTest, OpensKnownVector) {
  Bytes envelope = FromHex(
      "01404142434445464748494a4b4c4d4e4f5051525354555657a752281ba7cd0d73fc80aac8caff11fde0979df4"
      "23680b2cce81316e64d4d0317d1f9962e4d6");
  Result<SecretBuffer> opened =
      Open(SecretFromHex(kVectorKey), envelope, LegacyBindingData(VectorBinding()));
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(opened->view(), kVectorPlaintext);
  opened = OpenLegacySecret(SecretFromHex(kVectorKey), envelope, VectorBinding());
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(opened->view(), kVectorPlaintext);
}

TEST(EnvelopeTest, OpensKnownFormat2Vector) {
  Bytes envelope = FromHex(
      "02808182838485868788898a8b8c8d8e8f90919293949596973185743290b9370f6f6c0e8d2ade6cbe0bbc6c"
      "e1b3cace5d1252e6efc5af528b124417a6c16e");
  Result<SecretBuffer> opened = OpenSecret(SecretFromHex(kVectorKey), envelope, VectorBinding());
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(opened->view(), kVectorPlaintext);
}

TEST(EnvelopeTest, SecretsAreSealedInFormat2AndFormat1IsNotOpenedAsIt) {
  SecretBuffer key = RandomKey();
  Bytes sealed = SealSecret(key, kVectorPlaintext, VectorBinding());
  EXPECT_EQ(EnvelopeVersion(sealed), kSecretEnvelopeVersion);
  ASSERT_TRUE(OpenSecret(key, sealed, VectorBinding()).has_value());
  ExpectIntegrityFailure(OpenLegacySecret(key, sealed, VectorBinding()));
  // A format-1 envelope, even with its version byte raised, never opens as
  // format 2: the two associated data differ from their first field on.
  Bytes legacy = Seal(key, kVectorPlaintext, LegacyBindingData(VectorBinding()));
  ExpectIntegrityFailure(OpenSecret(key, legacy, VectorBinding()));
  legacy[0] = kSecretEnvelopeVersion;
  ExpectIntegrityFailure(OpenSecret(key, legacy, VectorBinding()));
}

TEST(EnvelopeTest, EveryFlippedBitFailsToOpen) {
  SecretBuffer key = RandomKey();
  std::string ad = BindingData(VectorBinding());
  const Bytes envelope = Seal(key, kVectorPlaintext, ad);
  for (size_t offset = 0; offset < envelope.size(); ++offset) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes tampered = envelope;
      tampered[offset] ^= static_cast<uint8_t>(1 << bit);
      SCOPED_TRACE("offset " + std::to_string(offset) + " bit " + std::to_string(bit));
      ExpectIntegrityFailure(Open(key, tampered, ad));
    }
  }
}

TEST(EnvelopeTest, TruncatedOrExtendedEnvelopeFailsToOpen) {
  SecretBuffer key = RandomKey();
  const Bytes envelope = Seal(key, kVectorPlaintext, "ad");
  for (size_t size = 0; size < envelope.size(); ++size) {
    SCOPED_TRACE("size " + std::to_string(size));
    ExpectIntegrityFailure(Open(key, std::span(envelope).first(size), "ad"));
  }
  Bytes extended = envelope;
  extended.push_back(0);
  ExpectIntegrityFailure(Open(key, extended, "ad"));
}

TEST(EnvelopeTest, RowSwapFailsToOpen) {
  SecretBuffer key = RandomKey();
  const RowBinding row = VectorBinding();
  const Bytes envelope = SealSecret(key, kVectorPlaintext, row);
  std::vector<std::pair<std::string, RowBinding>> others;
  others.emplace_back("version_uuid", row);
  others.back().second.version_uuid = "00000000-0000-4000-8000-000000000002";
  others.emplace_back("slot_ref", row);
  others.back().second.slot_ref = "prod/openrouter";
  others.emplace_back("provider", row);
  others.back().second.provider = "openai";
  others.emplace_back("data_key_version", row);
  others.back().second.data_key_version = 2;
  others.emplace_back("slot_id", row);
  others.back().second.slot_id = 8;
  others.emplace_back("version_number", row);
  others.back().second.version_number = 1;
  for (const auto& [field, other] : others) {
    SCOPED_TRACE(field);
    ExpectIntegrityFailure(OpenSecret(key, envelope, other));
  }
}

TEST(EnvelopeTest, WrongKeyFailsToOpen) {
  std::string ad = BindingData(VectorBinding());
  Bytes envelope = Seal(RandomKey(), kVectorPlaintext, ad);
  ExpectIntegrityFailure(Open(RandomKey(), envelope, ad));
}

TEST(EnvelopeTest, RepeatedSealsUseDistinctNonces) {
  constexpr int kSeals = 100'000;
  SecretBuffer key = RandomKey();
  std::unordered_set<std::string> nonces;
  std::unordered_set<std::string> bodies;
  for (int i = 0; i < kSeals; ++i) {
    Bytes envelope = Seal(key, kVectorPlaintext, "ad");
    const char* bytes = reinterpret_cast<const char*>(envelope.data());
    nonces.emplace(bytes + 1, 24);
    bodies.emplace(bytes + 25, envelope.size() - 25);
  }
  EXPECT_EQ(nonces.size(), static_cast<size_t>(kSeals));
  EXPECT_EQ(bodies.size(), static_cast<size_t>(kSeals));
}

TEST(BindingDataTest, MatchesDocumentedEncoding) {
  EXPECT_EQ(ToHex(LegacyBindingData(VectorBinding())),
            "000000136b657977617264656e2d7365637265742d76310000002430303030303030302d3030303"
            "02d343030302d383030302d3030303030303030303030310000000e6465762f6f70656e726f7574"
            "65720000000a6f70656e726f7574657200000001");
  EXPECT_EQ(ToHex(BindingData(VectorBinding())),
            "000000136b657977617264656e2d7365637265742d76320000002430303030303030302d3030303"
            "02d343030302d383030302d3030303030303030303030310000000e6465762f6f70656e726f7574"
            "65720000000a6f70656e726f757465720000000100000000000000070000000"
            "2");
}

TEST(BindingDataTest, FieldBoundariesAreUnambiguous) {
  RowBinding a{"u", "dev/x", "ab", 1};
  RowBinding b{"u", "dev/xa", "b", 1};
  EXPECT_NE(BindingData(a), BindingData(b));
}

TEST(KeyWrapTest, WrapThenUnwrapRoundTrips) {
  SecretBuffer master = RandomKey();
  SecretBuffer data_key = RandomKey();
  Bytes wrapped = WrapKey(master, data_key, 3);
  Result<SecretBuffer> unwrapped = UnwrapKey(master, wrapped, 3);
  ASSERT_TRUE(unwrapped.has_value()) << unwrapped.error().message;
  EXPECT_TRUE(unwrapped->Equals(data_key));
}

TEST(KeyWrapTest, UnwrapsKnownVector) {
  Bytes wrapped = FromHex(
      "01606162636465666768696a6b6c6d6e6f707172737475767795f89305722d720f0b3ed7042d5d2d9102cfa9"
      "1f3a64c45368241c4da94c5ade84f8868a71464513b9baa19c56fcade3");
  Result<SecretBuffer> unwrapped = UnwrapKey(SecretFromHex(kVectorKey), wrapped, 1);
  ASSERT_TRUE(unwrapped.has_value()) << unwrapped.error().message;
  EXPECT_TRUE(unwrapped->Equals(SecretFromHex(kVectorDataKey)));
}

TEST(KeyWrapTest, WrongVersionOrMasterFailsToUnwrap) {
  SecretBuffer master = RandomKey();
  Bytes wrapped = WrapKey(master, RandomKey(), 1);
  ExpectIntegrityFailure(UnwrapKey(master, wrapped, 2));
  ExpectIntegrityFailure(UnwrapKey(RandomKey(), wrapped, 1));
}

TEST(KeyWrapTest, WrappedKeyDoesNotOpenAsSecret) {
  SecretBuffer master = RandomKey();
  Bytes wrapped = WrapKey(master, RandomKey(), 1);
  ExpectIntegrityFailure(Open(master, wrapped, BindingData(VectorBinding())));
  ExpectIntegrityFailure(OpenSecret(master, wrapped, VectorBinding()));
  ExpectIntegrityFailure(OpenLegacySecret(master, wrapped, VectorBinding()));
}

TEST(DeriveKeyTest, MatchesVectorAndSeparatesIdsAndContexts) {
  SecretBuffer data_key = SecretFromHex(kVectorDataKey);
  SecretBuffer finger = DeriveKey(data_key, 1, "kwfinger");
  EXPECT_TRUE(finger.Equals(
      SecretFromHex("3c7d6b6d73ee765861f9b6504f1394b940092dc11aac843a59fb071e0a6dd9a3")));
  EXPECT_TRUE(finger.Equals(DeriveKey(data_key, 1, "kwfinger")));
  EXPECT_FALSE(finger.Equals(DeriveKey(data_key, 2, "kwfinger")));
  EXPECT_FALSE(finger.Equals(DeriveKey(data_key, 1, "kwaudit_")));
  EXPECT_FALSE(finger.Equals(data_key));
}

TEST(FingerprintTest, StableForSameKeyAndDifferentAcrossKeys) {
  SecretBuffer key = DeriveKey(SecretFromHex(kVectorDataKey), 1, "kwfinger");
  std::string fingerprint = Fingerprint(key, kVectorPlaintext);
  EXPECT_EQ(fingerprint, "kfp:12e880e736935e1e");
  EXPECT_EQ(Fingerprint(key, kVectorPlaintext), fingerprint);
  EXPECT_NE(Fingerprint(RandomKey(), kVectorPlaintext), fingerprint);
  EXPECT_NE(Fingerprint(key, "sk-kw-test-vector-0002"), fingerprint);
}

TEST(UuidTest, RandomUuidIsVersion4AndUnique) {
  const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string uuid = RandomUuid();
    EXPECT_TRUE(std::regex_match(uuid, v4)) << uuid;
    seen.insert(uuid);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

using testing::TempDir;

void WriteFile(const fs::path& file, size_t size, fs::perms perms) {
  std::ofstream(file, std::ios::binary) << std::string(size, 'k');
  fs::permissions(file, perms);
}

TEST(MasterKeyTest, CreatedWithMode0600AndRereadsEqual) {
  TempDir dir;
  fs::path file = dir.path() / "master.key";
  Result<SecretBuffer> created = CreateMasterKey(file);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(created->size(), kKeyBytes);
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, static_cast<off_t>(kKeyBytes));
  Result<SecretBuffer> read = ReadMasterKey(file);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_TRUE(read->Equals(*created));
}

TEST(MasterKeyTest, CreateRefusesExistingFile) {
  TempDir dir;
  fs::path file = dir.path() / "master.key";
  WriteFile(file, kKeyBytes, fs::perms::owner_read | fs::perms::owner_write);
  Result<SecretBuffer> created = CreateMasterKey(file);
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(fs::file_size(file), kKeyBytes);
}

TEST(MasterKeyTest, WrongSizeIsRejectedNamingTheSize) {
  TempDir dir;
  for (size_t size : {0, 31, 33}) {
    fs::path file = dir.path() / ("master-" + std::to_string(size) + ".key");
    WriteFile(file, size, fs::perms::owner_read | fs::perms::owner_write);
    Result<SecretBuffer> read = ReadMasterKey(file);
    ASSERT_FALSE(read.has_value()) << size;
    EXPECT_EQ(read.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(read.error().message, "master key file " + file.string() + " has " +
                                        std::to_string(size) + " bytes, expected 32");
  }
}

TEST(MasterKeyTest, GroupReadableFileIsRefused) {
  TempDir dir;
  fs::path file = dir.path() / "master.key";
  WriteFile(file, kKeyBytes,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  Result<SecretBuffer> read = ReadMasterKey(file);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(read.error().message.find("0640"), std::string::npos) << read.error().message;
  EXPECT_EQ(read.error().hint, "run: chmod 600 " + file.string());
}

TEST(MasterKeyTest, MissingFileIsNotFound) {
  TempDir dir;
  Result<SecretBuffer> read = ReadMasterKey(dir.path() / "absent.key");
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code, ErrorCode::kNotFound);
}

TEST(SecretBufferTest, NewBufferIsZeroed) {
  SecretBuffer buffer(64);
  ASSERT_EQ(buffer.size(), 64u);
  EXPECT_EQ(buffer.view(), std::string(64, '\0'));
}

TEST(SecretBufferTest, MoveTransfersOwnershipAndEmptiesSource) {
  SecretBuffer source = SecretBuffer::Copy("secret");
  const uint8_t* bytes = source.data();
  SecretBuffer moved(std::move(source));
  EXPECT_TRUE(source.empty());
  EXPECT_EQ(source.data(), nullptr);
  EXPECT_EQ(moved.data(), bytes);
  EXPECT_EQ(moved.view(), "secret");

  SecretBuffer assigned = SecretBuffer::Copy("old");
  assigned = std::move(moved);
  EXPECT_TRUE(moved.empty());
  EXPECT_EQ(assigned.view(), "secret");
}

TEST(SecretBufferTest, TakeWipesTheSourceString) {
  // Longer than the small-string buffer, so the bytes live on the heap.
  std::string source = "sk-kw-CANARY-0123456789abcdef0123456789";
  const char* heap = source.data();
  const size_t length = source.size();
  SecretBuffer taken = SecretBuffer::Take(source);
  EXPECT_EQ(taken.view(), "sk-kw-CANARY-0123456789abcdef0123456789");
  EXPECT_TRUE(source.empty());
  // The string still owns its allocation; the old bytes in it are zeros.
  ASSERT_EQ(source.data(), heap);
  EXPECT_EQ(std::string_view(heap, length), std::string(length, '\0'));
}

TEST(SecretBufferTest, EqualsComparesContentsAndLength) {
  EXPECT_TRUE(SecretBuffer::Copy("abc").Equals(SecretBuffer::Copy("abc")));
  EXPECT_FALSE(SecretBuffer::Copy("abc").Equals(SecretBuffer::Copy("abd")));
  EXPECT_FALSE(SecretBuffer::Copy("abc").Equals(SecretBuffer::Copy("abcd")));
  EXPECT_TRUE(SecretBuffer().Equals(SecretBuffer::Copy("")));
}

TEST(SecretBufferDeathTest, WritePastTheEndHitsTheGuardPage) {
  SecretBuffer buffer(32);
  volatile uint8_t* end = buffer.data() + buffer.size();
  EXPECT_DEATH(*end = 1, "");
}

// Small buffers reuse released blocks: the block comes back wiped, and the
// data of any size still ends at the guard page.
TEST(SecretBufferTest, ReusedBlockIsWipedAndEndsAtTheSameGuardPage) {
  const uint8_t* end = nullptr;
  {
    SecretBuffer first = SecretBuffer::Copy("sk-kw-CANARY-reused-block");
    end = first.data() + first.size();
  }
  SecretBuffer second(7);
  EXPECT_EQ(second.data() + second.size(), end);  // the pool gives back its last block
  const uint8_t* block = second.data() - (256 - 7);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(block), 256), std::string(256, '\0'));
}

TEST(SecretBufferDeathTest, WritePastTheEndOfAReusedBlockHitsTheGuardPage) {
  {
    SecretBuffer released(100);
  }
  SecretBuffer buffer(5);
  volatile uint8_t* end = buffer.data() + buffer.size();
  EXPECT_DEATH(*end = 1, "");
}

TEST(SecretBufferTest, ReportsWhetherMemoryIsLocked) {
  rlimit limit;
  ASSERT_EQ(::getrlimit(RLIMIT_MEMLOCK, &limit), 0);
  if (limit.rlim_cur < 64 * 1024) GTEST_SKIP() << "RLIMIT_MEMLOCK below 64 KiB";
  SecretBuffer buffer(32);
  EXPECT_TRUE(SecureMemoryLocked());
}

// Run in a child: without CAP_IPC_LOCK and with RLIMIT_MEMLOCK at zero,
// sodium_malloc still succeeds but cannot lock, and SecureMemoryLocked must
// say so. The capability is dropped so that the test also bites as root.
[[noreturn]] void AllocateWithoutMemlockAndExit() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2]{};
  if (::syscall(SYS_capget, &header, caps) != 0) std::_Exit(3);
  caps[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
  caps[CAP_TO_INDEX(CAP_IPC_LOCK)].permitted &= ~CAP_TO_MASK(CAP_IPC_LOCK);
  if (::syscall(SYS_capset, &header, caps) != 0) std::_Exit(3);
  rlimit zero{};
  if (::setrlimit(RLIMIT_MEMLOCK, &zero) != 0) std::_Exit(3);
  SecretBuffer buffer(32);
  std::_Exit(SecureMemoryLocked() ? 1 : 0);
}

TEST(SecretBufferDeathTest, ReportsUnlockedMemoryWhenMlockFails) {
  EXPECT_EXIT(AllocateWithoutMemlockAndExit(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace keywarden
