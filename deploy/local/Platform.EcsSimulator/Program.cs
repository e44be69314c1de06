using Platform.EcsSimulator;

var builder = WebApplication.CreateSlimBuilder(args);
// A workload to simulate: Simulator:Jobs in a JSON file (deploy/local/demo/simulator.json is the demo's).
if (builder.Configuration["Simulator:Workload"] is { } workload)
    builder.Configuration.AddJsonFile(Path.GetFullPath(workload), optional: false);
builder.AddEcsSimulator();
var app = builder.Build();
app.MapEcsSimulator();
await app.RunAsync();
