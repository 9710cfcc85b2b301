using System.Text.Json;

namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// What a checkpoint directory records about a run: after which epoch it was saved, the run's identity (resuming with
/// other data or options starts over instead of mixing runs) and the SHA-256 of each checkpoint file, checked on resume.
/// </summary>
internal sealed record TrainingState(int CompletedEpochs, string Fingerprint, double BestMetric, int BestEpoch, int EpochsWithoutImprovement, bool Frozen)
{
    public const string StateFile = "state.json";
    public const string ModelFile = "last.safetensors";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string BestFile = "best.safetensors";
    public const string EmaFile = "ema.safetensors";

    /// <summary>SHA-256 (hex) of each checkpoint file present when the state was written; null in states of MLNet.CSP 1.x.</summary>
    public Dictionary<string, string>? Checksums { get; init; }

    /// <summary>
    /// The directory's state when it belongs to this run (same fingerprint, weights present), else null.
    /// </summary>
    /// <exception cref="InvalidDataException">A checkpoint file changed or vanished after it was written.</exception>
    public static TrainingState? TryRead(string directory, string fingerprint)
    {
        string path = Path.Combine(directory, StateFile);
        if (!File.Exists(path)) return null;
        var state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(path));
        if (state is null || state.Fingerprint != fingerprint || !(File.Exists(Path.Combine(directory, ModelFile)) || File.Exists(Staged(directory, ModelFile)))) return null;
        foreach (var (file, expected) in state.Checksums ?? [])
        {
            string checkpoint = Path.Combine(directory, file), staged = Staged(directory, file);
            if (File.Exists(checkpoint) && Matches(checkpoint, expected)) continue;
            if (File.Exists(staged) && Matches(staged, expected))
            {
                File.Move(staged, checkpoint, overwrite: true); // the last save was interrupted after its state was written
                continue;
            }
            if (!File.Exists(checkpoint))
                throw new InvalidDataException($"Checkpoint file '{checkpoint}' is missing; {StateFile} lists it. Delete the directory '{directory}' to start over.");
            throw new InvalidDataException($"Checkpoint file '{checkpoint}' is damaged: its SHA-256 differs from the one written with it. Delete the directory '{directory}' to start over.");
        }
        return state;
    }

    /// <summary>Where a checkpoint file is written before the state that lists it (same extension, so the format is kept).</summary>
    public static string Staged(string directory, string file) =>
        Path.Combine(directory, Path.GetFileNameWithoutExtension(file) + ".next" + Path.GetExtension(file));

    /// <summary>
    /// Records the state with the checksum of each checkpoint file (the staged one where a new one was just written), then
    /// moves staged files into place.
    /// </summary>
    public void Write(string directory)
    {
        var files = new[] { ModelFile, OptimizerFile, BestFile, EmaFile };
        string Current(string f) => File.Exists(Staged(directory, f)) ? Staged(directory, f) : Path.Combine(directory, f);
        var sums = files.Where(f => File.Exists(Current(f))).ToDictionary(f => f, f => AtomicFile.Sha256(Current(f)));
        string path = Path.Combine(directory, StateFile);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this with { Checksums = sums }));
        foreach (var f in files)
            if (File.Exists(Staged(directory, f))) File.Move(Staged(directory, f), Path.Combine(directory, f), overwrite: true);
    }

    private static bool Matches(string file, string expected) => string.Equals(AtomicFile.Sha256(file), expected, StringComparison.OrdinalIgnoreCase);
}
