using System.Text.Json;
using GovernedExecution.Lineage.Merkle;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Lineage.Merkle;

/// <summary>The RFC 6962 / 9162 inclusion and consistency vectors of transparency-dev/merkle (tests/conformance/merkle).</summary>
public class MerkleConformanceVectorTests
{
    private static string InclusionFolder => Path.Combine(TestPaths.ConformanceRoot, "merkle", "testdata", "inclusion");

    private static string ConsistencyFolder => Path.Combine(TestPaths.ConformanceRoot, "merkle", "testdata", "consistency");

    public static TheoryData<string> InclusionVectors => VectorFiles(InclusionFolder);

    public static TheoryData<string> ConsistencyVectors => VectorFiles(ConsistencyFolder);

    [Theory]
    [MemberData(nameof(InclusionVectors))]
    public void Inclusion_vector_gives_its_expected_result(string file)
    {
        using JsonDocument document = Read(InclusionFolder, file);
        JsonElement vector = document.RootElement;

        bool verified = MerkleTree.VerifyInclusion(
            vector.GetProperty("leafIdx").GetUInt64(),
            vector.GetProperty("treeSize").GetUInt64(),
            Bytes(vector, "leafHash"),
            Proof(vector),
            Bytes(vector, "root"));

        Assert.Equal(!vector.GetProperty("wantErr").GetBoolean(), verified);
    }

    [Theory]
    [MemberData(nameof(ConsistencyVectors))]
    public void Consistency_vector_gives_its_expected_result(string file)
    {
        using JsonDocument document = Read(ConsistencyFolder, file);
        JsonElement vector = document.RootElement;

        bool verified = MerkleTree.VerifyConsistency(
            vector.GetProperty("size1").GetUInt64(),
            vector.GetProperty("size2").GetUInt64(),
            Bytes(vector, "root1"),
            Bytes(vector, "root2"),
            Proof(vector));

        Assert.Equal(!vector.GetProperty("wantErr").GetBoolean(), verified);
    }

    [Theory]
    [InlineData("inclusion")]
    [InlineData("consistency")]
    public void Vector_set_is_complete(string kind)
    {
        string folder = kind == "inclusion" ? InclusionFolder : ConsistencyFolder;

        // The counts stated in tests/conformance/README.md: 98 files each, 6 of them valid.
        var wantErr = ListFiles(folder).Select(file =>
        {
            using JsonDocument document = Read(folder, file);
            return document.RootElement.GetProperty("wantErr").GetBoolean();
        }).ToList();

        Assert.Equal(98, wantErr.Count);
        Assert.Equal(6, wantErr.Count(error => !error));
    }

    [Fact]
    public void Generated_proofs_equal_the_happy_path_proofs_of_the_classic_tree()
    {
        byte[][] leaves = ClassicTestTree.LeafHashes();
        int checkedProofs = 0;

        foreach (string file in Directory.EnumerateFiles(InclusionFolder, "happy-path.json", SearchOption.AllDirectories))
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(file));
            JsonElement vector = document.RootElement;
            int size = vector.GetProperty("treeSize").GetInt32();
            Assert.Equal(ClassicTestTree.RootsHex[size - 1], Convert.ToHexStringLower(Bytes(vector, "root")));

            byte[][] proof = MerkleTree.InclusionProof(vector.GetProperty("leafIdx").GetInt32(), leaves[..size]);
            Assert.Equal(Proof(vector), proof);
            checkedProofs++;
        }

        foreach (string file in Directory.EnumerateFiles(ConsistencyFolder, "happy-path.json", SearchOption.AllDirectories))
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(file));
            JsonElement vector = document.RootElement;
            int size = vector.GetProperty("size2").GetInt32();
            Assert.Equal(ClassicTestTree.RootsHex[size - 1], Convert.ToHexStringLower(Bytes(vector, "root2")));

            byte[][] proof = MerkleTree.ConsistencyProof(vector.GetProperty("size1").GetInt32(), leaves[..size]);
            Assert.Equal(Proof(vector), proof);
            checkedProofs++;
        }

        Assert.Equal(10, checkedProofs);
    }

    private static TheoryData<string> VectorFiles(string folder)
    {
        var files = new TheoryData<string>();
        foreach (string file in ListFiles(folder))
        {
            files.Add(file);
        }

        return files;
    }

    private static IEnumerable<string> ListFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(folder, file).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    private static JsonDocument Read(string folder, string file) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, file)));

    private static byte[] Bytes(JsonElement vector, string name) => vector.GetProperty(name).GetBytesFromBase64();

    // The vectors come from Go, which writes an empty proof as null.
    private static byte[][] Proof(JsonElement vector)
    {
        JsonElement proof = vector.GetProperty("proof");
        return proof.ValueKind == JsonValueKind.Null
            ? []
            : proof.EnumerateArray().Select(item => item.GetBytesFromBase64()).ToArray();
    }
}
