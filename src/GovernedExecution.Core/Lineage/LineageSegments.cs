namespace GovernedExecution.Lineage;

/// <summary>The numbered files of a rotated log: the first is the configured path, then <c>name.1.ext</c>, <c>name.2.ext</c>, ...</summary>
internal static class LineageSegments
{
    internal static string PathOf(string basePath, int index)
    {
        if (index == 0)
        {
            return basePath;
        }

        var directory = Path.GetDirectoryName(basePath) ?? string.Empty;
        var stem = Path.GetFileNameWithoutExtension(basePath);
        var extension = Path.GetExtension(basePath);
        return Path.Combine(directory, stem + "." + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + extension);
    }

    /// <summary>
    /// The files of the log that exist, oldest first: the first file and every numbered one, gaps included, since
    /// earlier files may have been archived (each file starts with the checkpoint of everything before it).
    /// </summary>
    internal static List<string> Existing(string basePath) => [.. Present(basePath).Select(p => p.Path)];

    /// <summary>The files of the log that exist, with their numbers, oldest first.</summary>
    internal static List<(int Index, string Path)> Present(string basePath)
    {
        var found = new List<(int Index, string Path)>();
        if (File.Exists(basePath))
        {
            found.Add((0, basePath));
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(basePath)) ?? string.Empty;
        var stem = Path.GetFileNameWithoutExtension(basePath);
        var extension = Path.GetExtension(basePath);
        if (!Directory.Exists(directory))
        {
            return found;
        }

        foreach (var file in Directory.EnumerateFiles(directory, stem + ".*" + extension))
        {
            // The pattern also matches the name itself when it has no extension ("lineage.*" finds "lineage").
            var name = Path.GetFileName(file);
            if (name.Length <= stem.Length + 1 + extension.Length)
            {
                continue;
            }

            var number = name.AsSpan(stem.Length + 1, name.Length - stem.Length - 1 - extension.Length);
            if (number.Length > 0 && number[0] != '0' && int.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
            {
                found.Add((index, PathOf(basePath, index)));
            }
        }

        found.Sort((a, b) => a.Index.CompareTo(b.Index));
        return found;
    }
}
