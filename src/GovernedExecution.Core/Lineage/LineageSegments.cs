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

    /// <summary>The files of the log that exist, oldest first (the first file, then the numbered ones without a gap).</summary>
    internal static List<string> Existing(string basePath)
    {
        var paths = new List<string>();
        for (var i = 0; File.Exists(PathOf(basePath, i)); i++)
        {
            paths.Add(PathOf(basePath, i));
        }

        return paths;
    }
}
