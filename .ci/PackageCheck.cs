// Checks what `dotnet pack` produced, with the runtime's own readers (no extra tool):
//   dotnet run --file .ci/PackageCheck.cs -- check DIR      every DIR/*.nupkg: metadata, readme, symbols, SourceLink
//   dotnet run --file .ci/PackageCheck.cs -- same DIR1 DIR2 every assembly in DIR1's packages is byte-identical in DIR2's
// Prints one line per finding and exits 1 when there is any.
#:property PublishAot=false
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

const string RepositoryUrl = "https://github.com/governed-execution/GovernedExecution.Core";
const string RawContentPrefix = "https://raw.githubusercontent.com/governed-execution/GovernedExecution.Core/";
var sourceLinkKind = new Guid("CC110556-A091-4D38-9FEC-25AB9A351A6A");
var embeddedSourceKind = new Guid("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

var failures = new List<string>();
void Fail(string what) => failures.Add(what);

switch (args)
{
    case ["check", var dir]:
        var packages = Directory.GetFiles(dir, "*.nupkg").Order(StringComparer.Ordinal).ToArray();
        if (packages.Length == 0)
        {
            Fail($"no package in {dir}");
        }

        foreach (var package in packages)
        {
            CheckPackage(package);
        }

        break;
    case ["same", var first, var second]:
        Same(first, second);
        break;
    default:
        Console.Error.WriteLine("usage: PackageCheck.cs check DIR | same DIR1 DIR2");
        return 2;
}

foreach (var failure in failures)
{
    Console.WriteLine("FAIL " + failure);
}

return failures.Count == 0 ? 0 : 1;

void CheckPackage(string path)
{
    var name = Path.GetFileName(path);
    var failuresBefore = failures.Count;
    using var zip = ZipFile.OpenRead(path);
    var nuspecEntry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
    XDocument nuspec;
    using (var stream = nuspecEntry.Open())
    {
        nuspec = XDocument.Load(stream);
    }

    var ns = nuspec.Root!.Name.Namespace;
    var metadata = nuspec.Root.Element(ns + "metadata")!;
    string? Meta(string element) => metadata.Element(ns + element)?.Value;
    var id = Meta("id")!;
    var version = Meta("version")!;

    foreach (var required in new[] { "authors", "description", "tags", "copyright" })
    {
        if (string.IsNullOrWhiteSpace(Meta(required)))
        {
            Fail($"{name}: no <{required}>");
        }
    }

    var license = metadata.Element(ns + "license");
    if (license?.Attribute("type")?.Value != "expression" || license.Value != "Apache-2.0")
    {
        Fail($"{name}: license is not the Apache-2.0 expression");
    }

    if (Meta("projectUrl") != RepositoryUrl)
    {
        Fail($"{name}: projectUrl is '{Meta("projectUrl")}', not {RepositoryUrl}");
    }

    var repository = metadata.Element(ns + "repository");
    var commit = repository?.Attribute("commit")?.Value ?? string.Empty;
    if (repository?.Attribute("type")?.Value != "git" || repository.Attribute("url")?.Value != RepositoryUrl || !Regex.IsMatch(commit, "^[0-9a-f]{40}$"))
    {
        Fail($"{name}: <repository> is not type git, url {RepositoryUrl} and a commit");
    }

    // The readme is the package's own, and every link in it still works on a package page: no relative link.
    var readme = Meta("readme");
    var readmeEntry = readme is null ? null : zip.GetEntry(readme);
    if (readmeEntry is null)
    {
        Fail($"{name}: no readme in the package");
    }
    else
    {
        using var reader = new StreamReader(readmeEntry.Open());
        var text = reader.ReadToEnd();
        if (!text.StartsWith("# " + (id == "GovernedExecution.Cli" ? "govexec" : id), StringComparison.Ordinal))
        {
            Fail($"{name}: the readme is not the package's own (its title is not '{id}')");
        }

        foreach (Match link in Regex.Matches(text, @"\]\(([^)\s]+)\)|(?:href|src)=""([^""]+)"""))
        {
            var target = link.Groups[1].Success ? link.Groups[1].Value : link.Groups[2].Value;
            if (!target.StartsWith("https://", StringComparison.Ordinal) && !target.StartsWith('#'))
            {
                Fail($"{name}: readme link '{target}' is not absolute");
            }
        }
    }

    // Dependency floors: the Microsoft.Extensions libraries of the .NET 10 band at 10.0.0, so that any .NET 10
    // application can take the package without an upgrade (Microsoft.Extensions.AI* is versioned on its own).
    foreach (var dependency in metadata.Descendants(ns + "dependency"))
    {
        var dependencyId = dependency.Attribute("id")!.Value;
        var range = dependency.Attribute("version")!.Value;
        if (dependencyId.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) && !dependencyId.StartsWith("Microsoft.Extensions.AI", StringComparison.Ordinal) && range is not ("10.0.0" or "[10.0.0, )"))
        {
            Fail($"{name}: depends on {dependencyId} {range}, not the floor 10.0.0");
        }
    }

    var isTool = metadata.Element(ns + "packageTypes")?.Elements(ns + "packageType").Any(t => t.Attribute("name")?.Value == "DotnetTool") == true;
    if (isTool)
    {
        var runtimeConfig = zip.Entries.SingleOrDefault(e => e.FullName.EndsWith(".runtimeconfig.json", StringComparison.Ordinal));
        using var config = runtimeConfig is null ? null : JsonDocument.Parse(runtimeConfig.Open());
        var rollForward = config?.RootElement.GetProperty("runtimeOptions").TryGetProperty("rollForward", out var value) == true ? value.GetString() : null;
        if (rollForward != "Major")
        {
            Fail($"{name}: the tool's rollForward is '{rollForward}', not Major");
        }
    }

    // Symbols: a .snupkg beside it with a portable PDB for each of the package's own assemblies, matching it, with
    // SourceLink to this repository at the packed commit for every document that is not embedded.
    var symbolsPath = Path.ChangeExtension(path, ".snupkg");
    if (!File.Exists(symbolsPath))
    {
        Fail($"{name}: no symbol package {Path.GetFileName(symbolsPath)}");
        return;
    }

    using var symbols = ZipFile.OpenRead(symbolsPath);
    var assemblies = zip.Entries.Where(e => e.FullName.EndsWith(".dll", StringComparison.Ordinal) && IsOurs(e.Name)).ToArray();
    if (assemblies.Length == 0)
    {
        Fail($"{name}: no assembly of this repository in the package");
    }

    foreach (var assembly in assemblies)
    {
        var pdbPath = assembly.FullName[..^4] + ".pdb";
        var pdbEntry = symbols.GetEntry(pdbPath);
        if (pdbEntry is null)
        {
            Fail($"{name}: {pdbPath} is not in the symbol package");
            continue;
        }

        CheckAssemblyAndPdb($"{name}: {assembly.FullName}", ReadAll(assembly), ReadAll(pdbEntry), commit);
    }

    if (failures.Count > failuresBefore)
    {
        return;
    }

    Console.WriteLine($"ok   {name}: readme, license, repository {commit[..Math.Min(7, commit.Length)]}, symbols, SourceLink ({assemblies.Length} assembl{(assemblies.Length == 1 ? "y" : "ies")}){(isTool ? ", rollForward Major" : string.Empty)}");
}

void CheckAssemblyAndPdb(string what, byte[] dll, byte[] pdb, string commit)
{
    using var pe = new PEReader(new MemoryStream(dll));
    var debug = pe.ReadDebugDirectory();
    if (!debug.Any(e => e.Type == DebugDirectoryEntryType.Reproducible))
    {
        Fail($"{what}: not built deterministically (no Reproducible debug entry)");
    }

    var codeView = debug.FirstOrDefault(e => e.Type == DebugDirectoryEntryType.CodeView);
    using var provider = MetadataReaderProvider.FromPortablePdbStream(new MemoryStream(pdb));
    var reader = provider.GetMetadataReader();
    if (codeView.Type != DebugDirectoryEntryType.CodeView || !new BlobContentId(reader.DebugMetadataHeader!.Id).Equals(new BlobContentId(pe.ReadCodeViewDebugDirectoryData(codeView).Guid, codeView.Stamp)))
    {
        Fail($"{what}: the symbol package's PDB is not the one the assembly was built with");
    }

    string? sourceLink = null;
    var embedded = new HashSet<DocumentHandle>();
    foreach (var handle in reader.CustomDebugInformation)
    {
        var info = reader.GetCustomDebugInformation(handle);
        var kind = reader.GetGuid(info.Kind);
        if (kind == sourceLinkKind)
        {
            sourceLink = System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(info.Value));
        }
        else if (kind == embeddedSourceKind && info.Parent.Kind == HandleKind.Document)
        {
            embedded.Add((DocumentHandle)info.Parent);
        }
    }

    if (sourceLink is null)
    {
        Fail($"{what}: the PDB has no SourceLink");
        return;
    }

    var prefixes = new List<string>();
    foreach (var map in JsonDocument.Parse(sourceLink).RootElement.GetProperty("documents").EnumerateObject())
    {
        if (map.Value.GetString() != RawContentPrefix + commit + "/*" || !map.Name.EndsWith('*'))
        {
            Fail($"{what}: SourceLink maps '{map.Name}' to '{map.Value.GetString()}', not to {RawContentPrefix}{commit}/*");
        }

        prefixes.Add(map.Name.TrimEnd('*'));
    }

    foreach (var handle in reader.Documents)
    {
        var document = reader.GetString(reader.GetDocument(handle).Name);
        if (!embedded.Contains(handle) && !prefixes.Any(p => document.StartsWith(p, StringComparison.Ordinal)))
        {
            Fail($"{what}: source document '{document}' is neither source-linked nor embedded");
        }
    }
}

void Same(string first, string second)
{
    var compared = 0;
    foreach (var path in Directory.GetFiles(first, "*.nupkg").Order(StringComparer.Ordinal))
    {
        var other = Path.Combine(second, Path.GetFileName(path));
        if (!File.Exists(other))
        {
            Fail($"{Path.GetFileName(path)}: not produced by the second pack");
            continue;
        }

        using var a = ZipFile.OpenRead(path);
        using var b = ZipFile.OpenRead(other);
        foreach (var entry in a.Entries.Where(e => e.FullName.EndsWith(".dll", StringComparison.Ordinal) && IsOurs(e.Name)))
        {
            var twin = b.GetEntry(entry.FullName);
            if (twin is null || !ReadAll(entry).AsSpan().SequenceEqual(ReadAll(twin)))
            {
                Fail($"{Path.GetFileName(path)}: {entry.FullName} differs between the two packs (not deterministic)");
            }

            compared++;
        }
    }

    if (compared == 0)
    {
        Fail("no assembly compared");
    }

    Console.WriteLine($"{(failures.Count == 0 ? "ok  " : "FAIL")} deterministic: {compared} assemblies compared byte for byte");
}

static bool IsOurs(string fileName) => fileName.StartsWith("GovernedExecution.", StringComparison.Ordinal) || fileName == "govexec.dll";

static byte[] ReadAll(ZipArchiveEntry entry)
{
    using var stream = entry.Open();
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    return copy.ToArray();
}
