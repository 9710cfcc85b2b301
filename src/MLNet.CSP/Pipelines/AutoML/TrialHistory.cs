using System.Globalization;
using System.Text;
using MLNet.CSP.Pipelines.Classification;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// The trial history CSV (<c>trials.csv</c>, one row per trial and rung, invariant culture), rewritten through a temporary file
/// after every trial; read back by a later run of the same experiment to skip trials that already finished.
/// </summary>
internal sealed class TrialHistory
{
    public const string FileName = "trials.csv";

    private static readonly string[] Header =
    [
        "experiment", "trial", "stage", "rung", "epochs", "schedule_epochs", "status", "metric", "micro_accuracy", "macro_accuracy", "log_loss",
        "duration_s", "ended_at_s", "peak_memory_mb", "architecture", "image_size", "learning_rate", "weight_decay", "label_smoothing",
        "augmentation", "freeze_backbone", "head", "from_history", "error",
    ];

    private readonly Dictionary<string, CspTrialResult> finished = new(StringComparer.Ordinal);

    /// <summary>The earlier runs' rows (any experiment, any status), written back before this run's own.</summary>
    private readonly List<string> earlier = [];

    public TrialHistory(string path, string experiment)
    {
        Path = path;
        Experiment = experiment;
    }

    public string Path { get; }

    /// <summary>What makes two runs the same experiment: the data's size, the seed, the metric and the schedule settings.</summary>
    public string Experiment { get; }

    /// <summary>Reads the finished trials of the same experiment from an earlier run's file (none when there is no file).</summary>
    public void Load()
    {
        if (!File.Exists(Path)) return;
        var lines = File.ReadAllLines(Path);
        if (lines.Length == 0 || Split(lines[0]) is not { } header || !header.SequenceEqual(Header))
            throw new InvalidDataException($"'{Path}' is not a trial history written by this library (unexpected header); delete it or choose another checkpoint directory.");
        for (int i = 1; i < lines.Length; i++)
        {
            var f = Split(lines[i]);
            if (f is null || f.Length != Header.Length)
                throw new InvalidDataException($"'{Path}' line {i + 1}: {(f is null ? "an unclosed quote" : $"{f.Length} fields, expected {Header.Length}")} (a truncated file?).");
            earlier.Add(lines[i]);
            if (f[0] != Experiment) continue;
            CspTrialResult? trial;
            try
            {
                trial = Parse(f);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw new InvalidDataException($"'{Path}' line {i + 1}: {e.Message}", e);
            }
            if (trial is null || trial.Stage == CspSearchStage.FinalFit) continue; // a final fit is not a trial to reuse (its key may equal the winner's)
            finished[Key(trial.Stage, trial.Epochs, trial.ScheduleEpochs, trial.Parameters)] = trial;
        }
    }

    /// <summary>A finished trial from a row's fields; null for a trial that did not finish (it runs again).</summary>
    private static CspTrialResult? Parse(string[] f)
    {
        var status = Enum.Parse<CspTrialStatus>(f[6]);
        if (status is not (CspTrialStatus.Completed or CspTrialStatus.Pruned)) return null;
        return new CspTrialResult
        {
            TrialId = int.Parse(f[1], CultureInfo.InvariantCulture),
            Stage = Enum.Parse<CspSearchStage>(f[2]),
            Rung = f[3].Length == 0 ? null : int.Parse(f[3], CultureInfo.InvariantCulture),
            Epochs = int.Parse(f[4], CultureInfo.InvariantCulture),
            ScheduleEpochs = int.Parse(f[5], CultureInfo.InvariantCulture),
            Status = status,
            Metric = Number(f[7]),
            MicroAccuracy = Number(f[8]),
            MacroAccuracy = Number(f[9]),
            LogLoss = Number(f[10]),
            Duration = TimeSpan.FromSeconds(Number(f[11]) ?? 0),
            PeakMemoryBytes = (long)((Number(f[13]) ?? 0) * 1024 * 1024),
            Parameters = new CspImageClassificationSearchSpace
            {
                Architecture = f[14],
                ImageSize = int.Parse(f[15], CultureInfo.InvariantCulture),
                LearningRate = Number(f[16]) ?? 0,
                WeightDecay = Number(f[17]) ?? 0,
                LabelSmoothing = Number(f[18]) ?? 0,
                Augmentation = Enum.Parse<CspAugmentation>(f[19]),
                FreezeBackbone = bool.Parse(f[20]),
                Head = Enum.Parse<CspHeadTrainer>(f[21]),
            },
        };
    }

    /// <summary>A finished trial of an earlier run with this stage, epochs and configuration, if any.</summary>
    public CspTrialResult? Find(CspSearchStage stage, int epochs, int scheduleEpochs, CspImageClassificationSearchSpace parameters) =>
        finished.GetValueOrDefault(Key(stage, epochs, scheduleEpochs, parameters));

    /// <summary>Writes the earlier runs' rows as they were, then this run's trials (those read back are already there).</summary>
    public void Write(IEnumerable<CspTrialResult> trials)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Join(",", Header));
        foreach (var line in earlier) text.AppendLine(line);
        foreach (var t in trials.Where(t => !t.FromHistory))
        {
            var p = t.Parameters;
            string[] fields =
            [
                Experiment, Invariant(t.TrialId), t.Stage.ToString(), t.Rung is int r ? Invariant(r) : "", Invariant(t.Epochs), Invariant(t.ScheduleEpochs), t.Status.ToString(),
                Invariant(t.Metric), Invariant(t.MicroAccuracy), Invariant(t.MacroAccuracy), Invariant(t.LogLoss),
                Invariant(t.Duration.TotalSeconds), Invariant(t.EndedAtSeconds), Invariant(t.PeakMemoryBytes / (1024.0 * 1024.0)),
                p.Architecture, Invariant(p.ImageSize), Invariant(p.LearningRate), Invariant(p.WeightDecay), Invariant(p.LabelSmoothing),
                p.Augmentation.ToString(), p.FreezeBackbone ? "True" : "False", p.Head.ToString(), t.FromHistory ? "True" : "False", t.Error ?? "",
            ];
            text.AppendLine(string.Join(",", fields.Select(Quote)));
        }
        AtomicFile.WriteAllText(Path, text.ToString());
    }

    /// <summary>
    /// The settings that matter in a stage: the head on frozen features; when fine-tuning everything else, the epochs trained and
    /// the schedule's length.
    /// </summary>
    public static string Key(CspSearchStage stage, int epochs, int scheduleEpochs, CspImageClassificationSearchSpace p) => stage == CspSearchStage.Features
        ? FormattableString.Invariant($"F|{p.Architecture}|{p.ImageSize}|{p.Head}")
        : FormattableString.Invariant($"T|{epochs}/{scheduleEpochs}|{p.Architecture}|{p.ImageSize}|{p.LearningRate:R}|{p.WeightDecay:R}|{p.LabelSmoothing:R}|{p.Augmentation}|{p.FreezeBackbone}");

    private static string Invariant(double? value) => value is double v ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static double? Number(string text) => text.Length == 0 ? null : double.Parse(text, CultureInfo.InvariantCulture);

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"").Replace("\r", " ").Replace("\n", " ") + "\"";

    /// <summary>The fields of a CSV line; null when a quote is not closed.</summary>
    private static string[]? Split(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        if (quoted) return null;
        fields.Add(field.ToString());
        return fields.ToArray();
    }
}
