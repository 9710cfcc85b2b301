using System.ComponentModel;
using Spectre.Console.Cli;

namespace MLNet.CSP.Examples.Commands;

/// <summary>Options of every command that reads image folders: the folders, the output folder and the seed.</summary>
public class ImageFolderSettings : CommandSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Training images, one sub-folder per class (default: the embedded Fashion-MNIST subset's train/).")]
    public string? Data { get; set; }

    [CommandOption("--test <DIR>")]
    [Description("Test images, same layout (default: the embedded subset's test/, or 20% of --data).")]
    public string? Test { get; set; }

    [CommandOption("--per-class <N>")]
    [Description("Use at most N images per class (quick runs).")]
    public int? PerClass { get; set; }

    [CommandOption("--out <DIR>")]
    [Description("Where the model zip and the PNG plots go.")]
    [DefaultValue("output")]
    public string Output { get; set; } = "output";

    [CommandOption("--seed <N>")]
    [DefaultValue(1)]
    public int Seed { get; set; } = 1;
}
