"""Static data for the demo catalog of okmarts.demo.catalog: brands, the category tree, product kinds.

Category names, category descriptions and spec KEYS are English source strings marked with N_ so
Babel extracts them; templates translate them where shown. Titles, spec values, brand names and
product descriptions are data and stay untranslated.

SKU patterns: '#' is a random digit, '@' a random capital letter (no I or O, as on real part
numbers), '{name}' a spec or ladder value by name (ladder codes keyed None exist for
this); everything else is literal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from okmarts.i18n import N_


@dataclass(frozen=True)
class Spec:
    key: str  # N_-marked display key
    name: str  # placeholder used by title and description templates
    values: tuple[str, ...]


@dataclass(frozen=True)
class Ladder:
    """Linked ratings in ascending size (power with current, bore with flow…).

    One row is picked per product, so linked values never contradict each other, and the row's
    position scales the price and weight between the kind's minimum and maximum.
    """

    columns: tuple[tuple[str | None, str], ...]  # (N_ key or None for a SKU-only code, name)
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Kind:
    title: str  # after the brand name: "Siemens " + title
    description: str
    makers: Mapping[str, str] = field(hash=False)  # brand name -> SKU pattern
    specs: tuple[Spec, ...]
    price: tuple[int, int]  # USD cents: smallest..largest ladder row, or a log-uniform range
    weight: tuple[int, int]  # grams, same rule
    ladder: Ladder | None = None


@dataclass(frozen=True)
class Subcategory:
    name: str
    slug: str
    kinds: tuple[Kind, ...]


@dataclass(frozen=True)
class TopCategory:
    name: str
    slug: str
    description: str
    children: tuple[Subcategory, ...]


def s(key: str, name: str, *values: str) -> Spec:
    return Spec(key, name, values)


def ladder(columns: tuple[tuple[str | None, str], ...], *rows: tuple[str, ...]) -> Ladder:
    assert all(len(row) == len(columns) for row in rows)
    return Ladder(columns, rows)


BRANDS: tuple[tuple[str, str], ...] = (
    ("Siemens", "DE"),
    ("ABB", "CH"),
    ("Schneider Electric", "FR"),
    ("Omron", "JP"),
    ("Mitsubishi Electric", "JP"),
    ("Allen-Bradley", "US"),
    ("Phoenix Contact", "DE"),
    ("Weidmüller", "DE"),
    ("Festo", "DE"),
    ("SICK", "DE"),
    ("Pepperl+Fuchs", "DE"),
    ("Keyence", "JP"),
    ("Eaton", "IE"),
    ("Danfoss", "DK"),
    ("Yaskawa", "JP"),
    ("Delta", "TW"),
    ("Lapp", "DE"),
    ("Murrelektronik", "DE"),
    ("WAGO", "DE"),
    ("Balluff", "DE"),
    ("Banner", "US"),
    ("Finder", "IT"),
    ("ifm", "DE"),
    ("Beckhoff", "DE"),
    ("SMC", "JP"),
    ("Mean Well", "TW"),
    ("Turck", "DE"),
    ("Harting", "DE"),
    ("WEG", "BR"),
    ("Helukabel", "DE"),
    ("Parker Hannifin", "US"),
)

# Spec keys: one constant each so every key has a single msgid.
SUPPLY_VOLTAGE = N_("Supply voltage")
PROTECTION_RATING = N_("Protection rating")
OPERATING_TEMPERATURE = N_("Operating temperature")
MOUNTING = N_("Mounting")
COMMUNICATION = N_("Communication")
DIGITAL_INPUTS = N_("Digital inputs")
DIGITAL_OUTPUTS = N_("Digital outputs")
ANALOG_INPUTS = N_("Analog inputs")
PROGRAM_MEMORY = N_("Program memory")
EXPANSION_MODULES = N_("Max. expansion modules")
CHANNELS = N_("Channels")
SIGNAL_TYPE = N_("Signal type")
# TRANSLATORS: product specification: how the part is wired up (connector, cable, terminals)
CONNECTION = N_("Connection")
SAFETY_LEVEL = N_("Safety level")
RATED_POWER = N_("Rated power")
RATED_CURRENT = N_("Rated current")
RATED_VOLTAGE = N_("Rated voltage")
INPUT_VOLTAGE = N_("Input voltage")
OUTPUT_FREQUENCY = N_("Output frequency")
RATED_SPEED = N_("Rated speed")
RATED_TORQUE = N_("Rated torque")
FRAME_SIZE = N_("Frame size")
EFFICIENCY_CLASS = N_("Efficiency class")
ENCODER = N_("Encoder")
HOLDING_BRAKE = N_("Holding brake")
SENSING_DISTANCE = N_("Sensing distance")
SENSING_RANGE = N_("Sensing range")
INSTALLATION = N_("Installation")
OUTPUT_TYPE = N_("Output type")
HOUSING = N_("Housing")
SWITCHING_FREQUENCY = N_("Switching frequency")
OPERATING_MODE = N_("Operating mode")
LIGHT_SOURCE = N_("Light source")
MEASURING_RANGE = N_("Measuring range")
ACCURACY = N_("Accuracy")
PROCESS_CONNECTION = N_("Process connection")
OUTPUT_SIGNAL = N_("Output signal")
SENSOR_ELEMENT = N_("Sensor element")
PROBE_LENGTH = N_("Probe length")
RESOLUTION = N_("Resolution")
SHAFT = N_("Shaft")
DISPLAY_SIZE = N_("Display size")
TOUCHSCREEN = N_("Touchscreen")
PROCESSOR = N_("Processor")
MEMORY = N_("Memory")
STORAGE = N_("Storage")
OPERATING_SYSTEM = N_("Operating system")
DISPLAY_DIGITS = N_("Display digits")
OUTPUTS = N_("Outputs")
COIL_VOLTAGE = N_("Coil voltage")
# TRANSLATORS: product specification: the electrical contacts of a relay or connector (not people)
CONTACTS = N_("Contacts")
AUXILIARY_CONTACTS = N_("Auxiliary contacts")
SWITCHING_CURRENT = N_("Switching current")
LOAD_VOLTAGE = N_("Load voltage")
CONTROL_VOLTAGE = N_("Control voltage")
SWITCHING_MODE = N_("Switching mode")
# TRANSLATORS: product specification: what a timer relay does (on-delay, off-delay…)
FUNCTION = N_("Function")
TIME_RANGE = N_("Time range")
WIDTH = N_("Width")
SETTING_RANGE = N_("Current setting range")
TRIP_CLASS = N_("Trip class")
CROSS_SECTION = N_("Conductor cross-section")
CORES = N_("Cores")
CONNECTOR = N_("Connector")
LENGTH = N_("Length")
SHEATH = N_("Sheath material")
SHIELDING = N_("Shielding")
CABLE_CATEGORY = N_("Cable category")
COLOR = N_("Color")
# TRANSLATORS: product specification: the kind of part (e.g. incremental encoder, elbow fitting)
TYPE = N_("Type")
PACK_QUANTITY = N_("Pack quantity")
# TRANSLATORS: product specification: the physical size of a part (e.g. a fuse's 10 × 38 mm)
SIZE = N_("Size")
OUTPUT_VOLTAGE = N_("Output voltage")
OUTPUT_CURRENT = N_("Output current")
OUTPUT_POWER = N_("Output power")
EFFICIENCY = N_("Efficiency")
BUFFER_TIME = N_("Buffer time")
ENERGY_STORAGE = N_("Energy storage")
ISOLATION = N_("Isolation voltage")
PRIMARY_VOLTAGE = N_("Primary voltage")
SECONDARY_VOLTAGE = N_("Secondary voltage")
POLES = N_("Poles")
TRIP_CHARACTERISTIC = N_("Tripping characteristic")
BREAKING_CAPACITY = N_("Breaking capacity")
RESIDUAL_CURRENT = N_("Rated residual current")
UTILIZATION_CATEGORY = N_("Utilization category")
DISCHARGE_CURRENT = N_("Nominal discharge current")
PROTECTION_LEVEL = N_("Voltage protection level")
PISTON_DIAMETER = N_("Piston diameter")
STROKE = N_("Stroke")
# TRANSLATORS: product specification: the norm the part meets (e.g. ISO 15552), a noun
STANDARD = N_("Standard")
CUSHIONING = N_("Cushioning")
OPERATING_PRESSURE = N_("Operating pressure")
VALVE_FUNCTION = N_("Valve function")
PORT_SIZE = N_("Port size")
FLOW_RATE = N_("Standard nominal flow")
FILTER_GRADE = N_("Filter grade")
COMPONENTS = N_("Components")
TUBE_DIAMETER = N_("Tube outer diameter")
MATERIAL = N_("Material")
# TRANSLATORS: product specification: the screw thread of a fitting (e.g. G1/4, M5)
THREAD = N_("Thread")
POSITION_SENSING = N_("Position sensing")
REGULATION_RANGE = N_("Pressure regulation range")

# Critical specs: a replacement must match these (services.replacements), in every category
# that has the key, with which way a quantity is better ("higher", "lower", "": equal). Ranges
# (supply voltage, measuring range…) must cover the original's whatever is said here. Staff
# change them per category in the admin; "Mounting" counts as critical wherever it is listed.
CRITICAL_SPECS: dict[str, str] = {
    MOUNTING: "",
    HOUSING: "",
    OUTPUT_TYPE: "",
    CONNECTION: "",
    SENSING_DISTANCE: "higher",
    SENSING_RANGE: "higher",
    SUPPLY_VOLTAGE: "",
    INSTALLATION: "",
    COIL_VOLTAGE: "",
    RATED_CURRENT: "higher",
    POLES: "",
    CONTACTS: "",
    PISTON_DIAMETER: "",
    STROKE: "",
    PORT_SIZE: "",
    CONNECTOR: "",
    LENGTH: "",
    FRAME_SIZE: "",
    RATED_POWER: "higher",
    OUTPUT_VOLTAGE: "",
    OUTPUT_CURRENT: "higher",
    OUTPUT_POWER: "higher",
    INPUT_VOLTAGE: "",
    COMMUNICATION: "",
    DIGITAL_INPUTS: "higher",
    DIGITAL_OUTPUTS: "higher",
    CHANNELS: "higher",
    SIGNAL_TYPE: "",
    SAFETY_LEVEL: "",
    ENCODER: "",
    SHAFT: "",
    MEASURING_RANGE: "",
    OUTPUT_SIGNAL: "",
    PROCESS_CONNECTION: "",
    SENSOR_ELEMENT: "",
    DISPLAY_SIZE: "",
    VALVE_FUNCTION: "",
    SWITCHING_CURRENT: "higher",
    FUNCTION: "",
    SETTING_RANGE: "",
    TRIP_CLASS: "",
    CROSS_SECTION: "",
    CORES: "",
    CABLE_CATEGORY: "",
    PRIMARY_VOLTAGE: "",
    SECONDARY_VOLTAGE: "",
    TRIP_CHARACTERISTIC: "",
    BREAKING_CAPACITY: "higher",
    RESIDUAL_CURRENT: "",
    TUBE_DIAMETER: "",
    THREAD: "",
    SIZE: "",
    OPERATING_PRESSURE: "",
}

# Value sets shared by several kinds.
DC24 = s(SUPPLY_VOLTAGE, "supply", "24 V DC")
DIN = s(MOUNTING, "mounting", "DIN rail")
CABINET_TEMP = s(OPERATING_TEMPERATURE, "temp", "0 … +55 °C", "-20 … +60 °C", "-25 … +70 °C")
FIELD_TEMP = s(OPERATING_TEMPERATURE, "temp", "-25 … +70 °C", "-40 … +85 °C", "-25 … +80 °C")
FIELD_IP = s(PROTECTION_RATING, "ip", "IP67", "IP68", "IP69K")
CABINET_IP = s(PROTECTION_RATING, "ip", "IP20")
FIELDBUS = s(COMMUNICATION, "comm", "PROFINET", "EtherNet/IP", "EtherCAT", "Modbus TCP")
SWITCH_OUT = s(OUTPUT_TYPE, "output", "PNP NO", "PNP NC", "NPN NO", "PNP NO, IO-Link")
SENSOR_PLUG = s(
    CONNECTION,
    "connection",
    "M12 connector, 4-pin",
    "M8 connector, 3-pin",
    "2 m PVC cable",
    "5 m PUR cable",
)
PUSH_IN = s(CONNECTION, "connection", "Push-in terminals", "Screw terminals")
SENSOR_SUPPLY = s(SUPPLY_VOLTAGE, "supply", "10–30 V DC")
PROCESS_PORT = s(PROCESS_CONNECTION, "port", "G1/4", "G1/2", '1/4" NPT', "G1/4 female")
COIL = s(COIL_VOLTAGE, "coil", "24 V DC", "24 V AC", "230 V AC", "110 V AC")
HMI_SIZES = ((DISPLAY_SIZE, "size"), (RESOLUTION, "resolution"))
MOTOR_RANGES = ladder(
    ((SETTING_RANGE, "range"),),
    ("0.1–0.16 A",),
    ("0.55–0.8 A",),
    ("1.8–2.5 A",),
    ("4–6 A",),
    ("7–10 A",),
    ("9–12.5 A",),
    ("11–16 A",),
    ("17–22 A",),
    ("20–25 A",),
    ("28–40 A",),
)
LENGTHS = ladder(
    ((LENGTH, "length"),),
    ("0.3 m",),
    ("0.6 m",),
    ("1 m",),
    ("2 m",),
    ("3 m",),
    ("5 m",),
    ("10 m",),
    ("15 m",),
    ("20 m",),
)
PNEUMATIC_PRESSURE = s(OPERATING_PRESSURE, "pressure", "0.6 … 10 bar", "1 … 10 bar", "0 … 12 bar")

PLCS = TopCategory(
    N_("PLCs & controllers"),
    "plcs-controllers",
    N_("Programmable logic controllers, I/O modules and safety controllers for machines."),
    (
        Subcategory(
            N_("Compact PLCs"),
            "compact-plcs",
            (
                Kind(
                    "Compact PLC, {di} DI / {do} DO, {comm}",
                    "Compact controller with {di} digital inputs, {do} digital outputs and {ai} analog "
                    "inputs on board. {memory} of program memory and an integrated {comm} port connect it "
                    "to drives and HMIs.",
                    {
                        "Siemens": "6ES7 21#-1@@4#-0XB0",
                        "Allen-Bradley": "2080-LC##-##QB@",
                        "Mitsubishi Electric": "FX5U-##M@/E#",
                        "Omron": "CP2E-N##D@#-D#",
                        "Schneider Electric": "TM221C@##T#",
                        "Delta": "DVP##SV2#@",
                        "WAGO": "750-8###/0##-0##",
                    },
                    (
                        DC24,
                        s(DIGITAL_INPUTS, "di", "6", "8", "12", "14", "16", "24"),
                        s(DIGITAL_OUTPUTS, "do", "4", "6", "8", "10", "16"),
                        s(ANALOG_INPUTS, "ai", "2", "4"),
                        s(PROGRAM_MEMORY, "memory", "50 KB", "75 KB", "100 KB", "125 KB", "150 KB"),
                        FIELDBUS,
                        DIN,
                        CABINET_TEMP,
                    ),
                    (15_000, 95_000),
                    (280, 650),
                ),
            ),
        ),
        Subcategory(
            N_("Modular PLC CPUs"),
            "modular-plc-cpus",
            (
                Kind(
                    "PLC CPU module, {memory} work memory, {comm}",
                    "High-performance CPU for modular controller systems with {memory} of work memory "
                    "and up to {slots} expansion modules. Built-in {comm} and a web server for "
                    "diagnostics.",
                    {
                        "Siemens": "6ES7 51#-3@@0#-0AB0",
                        "Allen-Bradley": "1769-L3#ER@@#",
                        "Schneider Electric": "BMEP58##2#@#",
                        "Mitsubishi Electric": "R##ENCPU-#@",
                        "Omron": "NJ501-1#0#-#@#",
                        "Beckhoff": "CX5###-01##",
                    },
                    (
                        DC24,
                        FIELDBUS,
                        s(EXPANSION_MODULES, "slots", "8", "16", "32", "64"),
                        DIN,
                        CABINET_TEMP,
                    ),
                    (60_000, 480_000),
                    (350, 900),
                    ladder(
                        ((PROGRAM_MEMORY, "memory"),),
                        ("300 KB",),
                        ("500 KB",),
                        ("1 MB",),
                        ("1.5 MB",),
                        ("2 MB",),
                        ("4 MB",),
                        ("8 MB",),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("I/O modules"),
            "io-modules",
            (
                Kind(
                    "Digital I/O module, {channels} channels, {signal}",
                    "Digital module with {channels} channels ({signal}) for the controller backplane. "
                    "Channel status LEDs and {connection} make commissioning quick.",
                    {
                        "Siemens": "6ES7 52#-1@H##-0AA0",
                        "WAGO": "750-1###/0##-0##",
                        "Phoenix Contact": "27#####",
                        "Beckhoff": "EL1###-00##",
                        "Allen-Bradley": "1769-IQ##@#",
                        "Omron": "NX-ID####",
                    },
                    (
                        s(CHANNELS, "channels", "8", "16", "32"),
                        s(
                            SIGNAL_TYPE,
                            "signal",
                            "24 V DC inputs",
                            "24 V DC outputs, 0.5 A",
                            "24 V DC inputs/outputs",
                        ),
                        PUSH_IN,
                        DIN,
                        CABINET_TEMP,
                    ),
                    (4_000, 32_000),
                    (60, 260),
                ),
                Kind(
                    "Analog input module, {channels} channels, {signal}",
                    "Analog input module with {channels} channels for {signal} signals and "
                    "{resolution} resolution per channel.",
                    {
                        "Siemens": "6ES7 53#-7@F##-0AB0",
                        "WAGO": "750-4##/0##-0##",
                        "Phoenix Contact": "27#####",
                        "Beckhoff": "EL3###-00##",
                        "Allen-Bradley": "1769-IF#@##",
                        "Omron": "NX-AD####",
                    },
                    (
                        s(CHANNELS, "channels", "2", "4", "8"),
                        s(
                            SIGNAL_TYPE,
                            "signal",
                            "0–10 V",
                            "4–20 mA",
                            "±10 V",
                            "Pt100/Pt1000",
                            "thermocouple",
                        ),
                        s(RESOLUTION, "resolution", "12 bit", "16 bit"),
                        PUSH_IN,
                        DIN,
                        CABINET_TEMP,
                    ),
                    (9_000, 55_000),
                    (60, 220),
                ),
            ),
        ),
        Subcategory(
            N_("Safety controllers"),
            "safety-controllers",
            (
                Kind(
                    "Safety controller, {di} safe inputs, {safety}",
                    "Configurable safety controller for emergency stops, light curtains and door switches, "
                    "certified up to {safety}. {di} safe inputs and {do} safe outputs.",
                    {
                        "SICK": "FLX3-CPUC#-###",
                        "Omron": "G9SP-N##S-#@",
                        "Banner": "XS26-#D@##",
                        "Schneider Electric": "XPSMCM@###@",
                        "Allen-Bradley": "440C-CR##-##BB@",
                        "Siemens": "3SK12##-1@B4#",
                    },
                    (
                        DC24,
                        s(SAFETY_LEVEL, "safety", "SIL 3 / PL e", "SIL 2 / PL d"),
                        s(DIGITAL_INPUTS, "di", "8", "12", "16", "20"),
                        s(DIGITAL_OUTPUTS, "do", "2", "4", "8"),
                        FIELDBUS,
                        DIN,
                        CABINET_TEMP,
                    ),
                    (28_000, 160_000),
                    (200, 450),
                ),
            ),
        ),
    ),
)

DRIVES = TopCategory(
    N_("Drives & motors"),
    "drives-motors",
    N_("Frequency inverters, servo systems, soft starters and IEC motors."),
    (
        Subcategory(
            N_("Frequency inverters"),
            "frequency-inverters",
            (
                Kind(
                    "Frequency inverter {power}, {input}",
                    "Variable-speed drive for pumps, fans and conveyors: {power} at {current} output "
                    "current, {input} input. Integrated EMC filter and {comm} fieldbus.",
                    {
                        "ABB": "ACS580-01-{code}-4+@###",
                        "Siemens": "6SL3210-1KE2#-#@F#",
                        "Danfoss": "131B####",
                        "Schneider Electric": "ATV320U##N4@#",
                        "Yaskawa": "CIPR-GA50C4###@BA",
                        "Mitsubishi Electric": "FR-E8##-#.#K-@",
                        "Delta": "VFD###E43A-#",
                        "Eaton": "DG1-34###FB-C2#",
                    },
                    (
                        s(INPUT_VOLTAGE, "input", "3-phase 380–480 V AC", "1-phase 200–240 V AC"),
                        s(OUTPUT_FREQUENCY, "freq", "0–599 Hz", "0–500 Hz"),
                        FIELDBUS,
                        s(PROTECTION_RATING, "ip", "IP20", "IP21", "IP55"),
                        CABINET_TEMP,
                    ),
                    (35_000, 460_000),
                    (1_700, 21_000),
                    ladder(
                        ((RATED_POWER, "power"), (RATED_CURRENT, "current"), (None, "code")),
                        ("0.75 kW", "2.6 A", "02A6"),
                        ("1.5 kW", "4.0 A", "04A0"),
                        ("2.2 kW", "5.6 A", "05A6"),
                        ("4 kW", "9.4 A", "09A4"),
                        ("5.5 kW", "12.6 A", "012A"),
                        ("7.5 kW", "17 A", "017A"),
                        ("11 kW", "25 A", "025A"),
                        ("15 kW", "32 A", "032A"),
                        ("22 kW", "46 A", "046A"),
                        ("30 kW", "62 A", "062A"),
                        ("45 kW", "88 A", "088A"),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Servo drives"),
            "servo-drives",
            (
                Kind(
                    "Servo drive {power}, {comm}",
                    "Servo amplifier for {power} motors with {current} continuous output current and "
                    "{comm} motion control. Safe Torque Off (STO) built in.",
                    {
                        "Yaskawa": "SGD7S-#R#A##A###",
                        "Mitsubishi Electric": "MR-J5-###@-#",
                        "Omron": "R88D-1SN##@-ECT#",
                        "Siemens": "6SL3210-5FE1#-#@F#",
                        "Delta": "ASD-A3-####-@",
                        "Beckhoff": "AX5###-0000-02##",
                        "Allen-Bradley": "2198-H0##-@RS#",
                        "Schneider Electric": "LXM32M@##N4#",
                    },
                    (
                        s(SUPPLY_VOLTAGE, "supply", "1-phase 200–240 V AC", "3-phase 380–480 V AC"),
                        FIELDBUS,
                        s(ENCODER, "encoder", "23-bit absolute", "26-bit absolute", "resolver"),
                        CABINET_IP,
                        CABINET_TEMP,
                    ),
                    (42_000, 280_000),
                    (800, 4_200),
                    ladder(
                        ((RATED_POWER, "power"), (RATED_CURRENT, "current")),
                        ("100 W", "0.9 A"),
                        ("200 W", "1.6 A"),
                        ("400 W", "2.8 A"),
                        ("750 W", "5.5 A"),
                        ("1 kW", "7.6 A"),
                        ("1.5 kW", "9.2 A"),
                        ("2 kW", "12 A"),
                        ("3 kW", "18.5 A"),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Servo motors"),
            "servo-motors",
            (
                Kind(
                    "AC servo motor {power}, {torque}, {speed}",
                    "Low-inertia servo motor, {power} and {torque} rated torque at {speed}. "
                    "{encoder} encoder, {shaft}, {ip}.",
                    {
                        "Yaskawa": "SGM7J-##A7@6#",
                        "Mitsubishi Electric": "HK-KT##W@-#",
                        "Siemens": "1FK7###-#AF71-1@@0",
                        "Omron": "R88M-1M##030T-@S#",
                        "Delta": "ECM-A3L-C2####ES",
                        "Beckhoff": "AM8###-#F##-0000",
                        "Schneider Electric": "BMH####T##A#",
                    },
                    (
                        s(RATED_SPEED, "speed", "3000 rpm", "2000 rpm"),
                        s(
                            ENCODER,
                            "encoder",
                            "23-bit absolute",
                            "26-bit absolute multi-turn",
                            "resolver",
                        ),
                        s(HOLDING_BRAKE, "brake", "with brake", "without brake"),
                        s(SHAFT, "shaft", "keyed shaft", "smooth shaft"),
                        s(PROTECTION_RATING, "ip", "IP65", "IP67"),
                    ),
                    (26_000, 210_000),
                    (500, 11_000),
                    ladder(
                        ((RATED_POWER, "power"), (RATED_TORQUE, "torque")),
                        ("100 W", "0.32 Nm"),
                        ("200 W", "0.64 Nm"),
                        ("400 W", "1.27 Nm"),
                        ("750 W", "2.39 Nm"),
                        ("1 kW", "3.18 Nm"),
                        ("1.5 kW", "4.77 Nm"),
                        ("2 kW", "6.37 Nm"),
                        ("3 kW", "9.55 Nm"),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("AC induction motors"),
            "ac-induction-motors",
            (
                Kind(
                    "Three-phase motor {power}, {frame}, {efficiency}",
                    "Totally enclosed fan-cooled induction motor: {power}, {speed}, {efficiency} "
                    "efficiency class, frame {frame}, {mount} mounting. Suitable for inverter operation.",
                    {
                        "Siemens": "1LE1003-#@@##-#AA4",
                        "ABB": "3GAA###0##-ADE",
                        "WEG": "W22-###-4P-@@#",
                        "Mitsubishi Electric": "SF-PR-#.#K-#P-@",
                    },
                    (
                        s(RATED_VOLTAGE, "voltage", "230/400 V Δ/Y, 50 Hz", "400/690 V Δ/Y, 50 Hz"),
                        s(RATED_SPEED, "speed", "1500 rpm", "3000 rpm", "1000 rpm"),
                        s(EFFICIENCY_CLASS, "efficiency", "IE2", "IE3", "IE4"),
                        s(MOUNTING, "mount", "B3 foot", "B5 flange", "B14 face"),
                        s(PROTECTION_RATING, "ip", "IP55", "IP56"),
                    ),
                    (12_000, 190_000),
                    (6_000, 125_000),
                    ladder(
                        ((RATED_POWER, "power"), (FRAME_SIZE, "frame"), (RATED_CURRENT, "current")),
                        ("0.37 kW", "IEC 71M", "1.0 A"),
                        ("0.75 kW", "IEC 80M", "1.8 A"),
                        ("1.5 kW", "IEC 90L", "3.3 A"),
                        ("2.2 kW", "IEC 100L", "4.6 A"),
                        ("4 kW", "IEC 112M", "8.0 A"),
                        ("5.5 kW", "IEC 132S", "10.9 A"),
                        ("7.5 kW", "IEC 132M", "14.5 A"),
                        ("11 kW", "IEC 160M", "21 A"),
                        ("15 kW", "IEC 160L", "28.5 A"),
                        ("22 kW", "IEC 180L", "41 A"),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Soft starters"),
            "soft-starters",
            (
                Kind(
                    "Soft starter {power}, {current}",
                    "Soft starter for {power} motors ({current}) that limits inrush current and "
                    "mechanical stress. Integrated bypass contactor, {control} control voltage.",
                    {
                        "ABB": "PSE##-600-70-#@",
                        "Siemens": "3RW40##-1@B1#",
                        "Schneider Electric": "ATS22D##Q@#",
                        "Eaton": "DS7-340SX###N0-@",
                        "Danfoss": "175G5####",
                    },
                    (
                        s(CONTROL_VOLTAGE, "control", "24 V AC/DC", "110–230 V AC"),
                        CABINET_IP,
                        CABINET_TEMP,
                    ),
                    (22_000, 160_000),
                    (650, 5_500),
                    ladder(
                        ((RATED_POWER, "power"), (RATED_CURRENT, "current")),
                        ("7.5 kW", "17 A"),
                        ("11 kW", "25 A"),
                        ("15 kW", "32 A"),
                        ("22 kW", "45 A"),
                        ("30 kW", "63 A"),
                        ("45 kW", "85 A"),
                        ("55 kW", "106 A"),
                        ("75 kW", "145 A"),
                    ),
                ),
            ),
        ),
    ),
)

SENSORS = TopCategory(
    N_("Sensors"),
    "sensors",
    N_("Proximity, photoelectric, pressure and temperature sensors and rotary encoders."),
    (
        Subcategory(
            N_("Proximity sensors"),
            "proximity-sensors",
            (
                Kind(
                    "Inductive proximity sensor {housing}, {distance}, {output}",
                    "Inductive sensor in a {housing} nickel-plated brass housing, {mount} mounting, "
                    "with {distance} rated sensing distance. {output} output, {connection}, {ip}.",
                    {
                        "Omron": "E2E-X#@@#-M#",
                        "SICK": "IME##-##@PSZC0S",
                        "Pepperl+Fuchs": "NBB#-##GM##-E#",
                        "ifm": "IF####",
                        "Balluff": "BES0##@#",
                        "Turck": "BI#-M##-AP6X-H11##",
                        "Schneider Electric": "XS6##B1PAM##",
                    },
                    (
                        SENSOR_SUPPLY,
                        SWITCH_OUT,
                        SENSOR_PLUG,
                        s(SWITCHING_FREQUENCY, "frequency", "500 Hz", "1 kHz", "2 kHz"),
                        FIELD_IP,
                        FIELD_TEMP,
                    ),
                    (2_400, 9_800),
                    (15, 180),
                    ladder(
                        (
                            (HOUSING, "housing"),
                            (INSTALLATION, "mount"),
                            (SENSING_DISTANCE, "distance"),
                        ),
                        ("M8", "flush", "1.5 mm"),
                        ("M8", "non-flush", "2.5 mm"),
                        ("M12", "flush", "4 mm"),
                        ("M12", "non-flush", "8 mm"),
                        ("M18", "flush", "8 mm"),
                        ("M18", "non-flush", "12 mm"),
                        ("M30", "flush", "15 mm"),
                        ("M30", "non-flush", "22 mm"),
                    ),
                ),
                Kind(
                    "Capacitive proximity sensor {housing}, {distance}, {output}",
                    "Capacitive sensor for level detection of liquids, granulates and powders "
                    "through non-metallic walls. Adjustable sensing distance up to {distance}, "
                    "{output} output.",
                    {
                        "SICK": "CM##-##@PP-EC#",
                        "Pepperl+Fuchs": "CBN##-##GS##-E#",
                        "ifm": "KI####",
                        "Balluff": "BCS0##@#",
                        "Turck": "BC##-S30SR-VP4X#-H11#1",
                    },
                    (SENSOR_SUPPLY, SWITCH_OUT, SENSOR_PLUG, FIELD_IP, FIELD_TEMP),
                    (4_500, 14_000),
                    (40, 220),
                    ladder(
                        ((HOUSING, "housing"), (SENSING_DISTANCE, "distance")),
                        ("M12", "4 mm"),
                        ("M18", "8 mm"),
                        ("M30", "15 mm"),
                        ("M30", "20 mm"),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Photoelectric sensors"),
            "photoelectric-sensors",
            (
                Kind(
                    "Photoelectric sensor, {mode}, {range}, {output}",
                    "{mode} photoelectric sensor with {light} and a sensing range of {range}. {output} "
                    "output, {connection}, {ip} housing.",
                    {
                        "SICK": "WTB#-#P####",
                        "Omron": "E3Z-@##-#",
                        "Keyence": "PR-@##N#",
                        "Pepperl+Fuchs": "ML100-##/##/###",
                        "Banner": "QS18VP6@@##",
                        "Balluff": "BOS0##@#",
                        "ifm": "O#D###",
                    },
                    (
                        s(
                            OPERATING_MODE,
                            "mode",
                            "Diffuse",
                            "Retro-reflective",
                            "Through-beam",
                            "Background suppression",
                        ),
                        s(
                            SENSING_RANGE,
                            "range",
                            "0.1 … 1 m",
                            "0.02 … 0.5 m",
                            "0.1 … 4 m",
                            "0 … 15 m",
                        ),
                        s(LIGHT_SOURCE, "light", "red LED", "infrared LED", "red laser, class 1"),
                        SENSOR_SUPPLY,
                        SWITCH_OUT,
                        SENSOR_PLUG,
                        FIELD_IP,
                        FIELD_TEMP,
                    ),
                    (3_900, 24_000),
                    (20, 160),
                ),
            ),
        ),
        Subcategory(
            N_("Pressure sensors"),
            "pressure-sensors",
            (
                Kind(
                    "Pressure sensor {range}, {signal}, {port}",
                    "Electronic pressure sensor with a ceramic measuring cell for hydraulics and "
                    "pneumatics: {range}, accuracy {accuracy}, {signal} output, {port} process connection.",
                    {
                        "ifm": "PN####",
                        "Danfoss": "060G####",
                        "SICK": "PBS-@B###SG1SS0@MA0Z",
                        "Festo": "SPAN-P##R-G1#M-PN-PN-L#",
                        "Balluff": "BSP0##@#",
                        "Siemens": "7MF####-1@@00-1AA1",
                    },
                    (
                        s(
                            MEASURING_RANGE,
                            "range",
                            "-1 … 1 bar",
                            "0 … 10 bar",
                            "0 … 16 bar",
                            "0 … 25 bar",
                            "0 … 100 bar",
                            "0 … 400 bar",
                        ),
                        s(OUTPUT_SIGNAL, "signal", "4–20 mA", "0–10 V", "IO-Link + 2 × PNP"),
                        s(ACCURACY, "accuracy", "±0.5 %", "±0.25 %", "±1 %"),
                        PROCESS_PORT,
                        s(SUPPLY_VOLTAGE, "supply", "18–30 V DC"),
                        FIELD_IP,
                        FIELD_TEMP,
                    ),
                    (9_000, 52_000),
                    (60, 260),
                ),
            ),
        ),
        Subcategory(
            N_("Temperature sensors"),
            "temperature-sensors",
            (
                Kind(
                    "Temperature sensor {element}, {range}, {length}",
                    "Screw-in temperature probe with {element} element for {range}, {length} stainless "
                    "steel probe and {port} process connection. {signal} output.",
                    {
                        "ifm": "TA####",
                        "Danfoss": "084Z####",
                        "Siemens": "7MC####-#@@##",
                        "SICK": "TBS-@B###",
                        "Balluff": "BFT0##@#",
                        "Omron": "E52-CA#@-##",
                    },
                    (
                        s(
                            SENSOR_ELEMENT,
                            "element",
                            "Pt100, class A",
                            "Pt1000, class B",
                            "type K thermocouple",
                            "Pt100, class B",
                        ),
                        s(
                            MEASURING_RANGE,
                            "range",
                            "-50 … +150 °C",
                            "-50 … +250 °C",
                            "0 … +400 °C",
                        ),
                        s(PROBE_LENGTH, "length", "50 mm", "100 mm", "150 mm", "250 mm"),
                        s(PROCESS_CONNECTION, "port", "G1/2", "G1/4", "M12 × 1.5"),
                        s(OUTPUT_SIGNAL, "signal", "4–20 mA", "Resistive 4-wire", "IO-Link"),
                        FIELD_IP,
                    ),
                    (3_500, 31_000),
                    (40, 320),
                ),
            ),
        ),
        Subcategory(
            N_("Rotary encoders"),
            "rotary-encoders",
            (
                Kind(
                    "{type} rotary encoder {resolution}, {shaft}",
                    "{type} encoder in a 58 mm housing with {resolution}, {shaft} and {output} interface. "
                    "Robust bearings for up to 6000 rpm.",
                    {
                        "SICK": "DFS60@-S4@A#####",
                        "Omron": "E6B2-CWZ#C-###P",
                        "Pepperl+Fuchs": "ENI58IL-S10DA5-####B",
                        "ifm": "RV@###",
                        "Balluff": "BRI0##@#",
                        "Turck": "RI####P#-QR##-HNX",
                    },
                    (
                        s(
                            TYPE,
                            "type",
                            "Incremental",
                            "Absolute single-turn",
                            "Absolute multi-turn",
                        ),
                        s(
                            SHAFT,
                            "shaft",
                            "6 mm solid shaft",
                            "10 mm solid shaft",
                            "12 mm hollow shaft",
                            "15 mm blind hollow shaft",
                        ),
                        s(OUTPUT_SIGNAL, "output", "HTL push-pull", "TTL RS-422", "SSI", "IO-Link"),
                        s(SUPPLY_VOLTAGE, "supply", "5 V DC", "10–30 V DC", "4.75–30 V DC"),
                        s(PROTECTION_RATING, "ip", "IP65", "IP67"),
                        FIELD_TEMP,
                    ),
                    (9_500, 68_000),
                    (200, 450),
                    ladder(
                        ((RESOLUTION, "resolution"),),
                        ("360 ppr",),
                        ("500 ppr",),
                        ("1024 ppr",),
                        ("2048 ppr",),
                        ("4096 ppr",),
                        ("10000 ppr",),
                    ),
                ),
            ),
        ),
    ),
)

HMIS = TopCategory(
    N_("HMIs & displays"),
    "hmis-displays",
    N_("Operator touch panels, industrial panel PCs and panel meters."),
    (
        Subcategory(
            N_("Touch panels"),
            "touch-panels",
            (
                Kind(
                    "HMI touch panel {size}, {touch}",
                    "{size} widescreen operator panel ({resolution}) with {touch} touch for visualizing "
                    "and operating machines. {comm} connection to the controller, {ip} front.",
                    {
                        "Siemens": "6AV2 12#-#@B0#-0AX0",
                        "Allen-Bradley": "2711P-T##C2#D#P",
                        "Omron": "NB#Q-TW0#B-#@",
                        "Schneider Electric": "HMIST6###-#",
                        "Mitsubishi Electric": "GT25##-@TBD-#",
                        "Delta": "DOP-1##W@-##",
                        "Beckhoff": "CP29##-00##",
                    },
                    (
                        s(TOUCHSCREEN, "touch", "resistive", "projected capacitive"),
                        FIELDBUS,
                        DC24,
                        s(PROTECTION_RATING, "ip", "IP65", "IP66"),
                        CABINET_TEMP,
                    ),
                    (29_000, 420_000),
                    (500, 6_800),
                    ladder(
                        HMI_SIZES,
                        ("4.3 in", "480 × 272 px"),
                        ("7 in", "800 × 480 px"),
                        ("9 in", "800 × 480 px"),
                        ("10.1 in", "1280 × 800 px"),
                        ("12.1 in", "1280 × 800 px"),
                        ("15.6 in", "1920 × 1080 px"),
                        ("21.5 in", "1920 × 1080 px"),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Panel PCs"),
            "panel-pcs",
            (
                Kind(
                    "Industrial panel PC {size}, {cpu}",
                    "Fanless panel PC with a {size} multi-touch display ({resolution}), {cpu}, {ram} RAM "
                    "and {storage}. Preinstalled {os}.",
                    {
                        "Siemens": "6AV7 2##-#@@##-0AA0",
                        "Beckhoff": "CP22##-0010-##",
                        "Phoenix Contact": "VL3 PPC ##00 1##/##",
                        "Allen-Bradley": "6181P-##@##SW71DC",
                    },
                    (
                        s(
                            PROCESSOR,
                            "cpu",
                            "Intel Celeron J6412",
                            "Intel Core i3-1115G4",
                            "Intel Core i5-1145G7",
                            "Intel Core i7-1185G7",
                        ),
                        s(MEMORY, "ram", "4 GB", "8 GB", "16 GB", "32 GB"),
                        s(STORAGE, "storage", "128 GB SSD", "256 GB SSD", "512 GB SSD"),
                        s(
                            OPERATING_SYSTEM,
                            "os",
                            "Windows 10 IoT Enterprise",
                            "Windows 11 IoT Enterprise",
                            "Linux (Debian)",
                        ),
                        DC24,
                        s(PROTECTION_RATING, "ip", "IP65 front"),
                    ),
                    (180_000, 650_000),
                    (3_500, 11_000),
                    ladder(
                        HMI_SIZES,
                        ("12.1 in", "1280 × 800 px"),
                        ("15.6 in", "1920 × 1080 px"),
                        ("18.5 in", "1920 × 1080 px"),
                        ("21.5 in", "1920 × 1080 px"),
                        ("24 in", "1920 × 1080 px"),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Panel meters"),
            "panel-meters",
            (
                Kind(
                    "Digital panel meter 96 × 48 mm, {signal}",
                    "Process indicator with a {digits}-digit LED display for {signal} inputs, "
                    "{outputs} and scalable engineering units.",
                    {
                        "Omron": "K3HB-@##-#",
                        "Weidmüller": "2#####0000",
                        "Phoenix Contact": "29#####",
                        "Siemens": "7KT####-0@A00",
                        "Eaton": "DMI-@##-#",
                    },
                    (
                        s(
                            SIGNAL_TYPE,
                            "signal",
                            "0–10 V / 4–20 mA",
                            "Pt100 / thermocouple",
                            "AC voltage / current",
                            "frequency / pulse",
                        ),
                        s(DISPLAY_DIGITS, "digits", "4", "5", "6"),
                        s(
                            OUTPUTS,
                            "outputs",
                            "2 relay outputs",
                            "4 relay outputs, RS-485",
                            "analog output",
                        ),
                        s(SUPPLY_VOLTAGE, "supply", "24 V DC", "100–240 V AC"),
                        s(PROTECTION_RATING, "ip", "IP65 front"),
                    ),
                    (8_000, 42_000),
                    (150, 350),
                ),
            ),
        ),
    ),
)

RELAYS = TopCategory(
    N_("Relays & contactors"),
    "relays-contactors",
    N_("Contactors, interface and solid-state relays, timers and overload relays."),
    (
        Subcategory(
            N_("Contactors"),
            "contactors",
            (
                Kind(
                    "Power contactor 3-pole, {current} AC-3, {coil} coil",
                    "Three-pole contactor for switching motors up to {power} (AC-3, 400 V), {current} "
                    "rated operational current, {coil} coil and {aux} auxiliary contact.",
                    {
                        "Siemens": "3RT20##-1@B4#",
                        "Schneider Electric": "LC1D##@7#",
                        "ABB": "AF##-30-1#-##",
                        "Eaton": "DILM##-#0-@#",
                        "Allen-Bradley": "100-C##@J##",
                        "Mitsubishi Electric": "S-T##-@#",
                    },
                    (
                        COIL,
                        s(AUXILIARY_CONTACTS, "aux", "1 NO", "1 NC", "1 NO + 1 NC"),
                        s(POLES, "poles", "3"),
                        CABINET_IP,
                        CABINET_TEMP,
                    ),
                    (2_400, 52_000),
                    (300, 2_400),
                    ladder(
                        ((RATED_POWER, "power"), (RATED_CURRENT, "current")),
                        ("4 kW", "9 A"),
                        ("5.5 kW", "12 A"),
                        ("7.5 kW", "18 A"),
                        ("11 kW", "25 A"),
                        ("15 kW", "32 A"),
                        ("18.5 kW", "40 A"),
                        ("22 kW", "50 A"),
                        ("37 kW", "80 A"),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Interface relays"),
            "interface-relays",
            (
                Kind(
                    "Interface relay {contacts}, {current}, {coil}",
                    "Slim plug-in relay for signal and load separation: {contacts} contacts rated "
                    "{current}, {coil} coil with LED and protection circuit, {width} wide.",
                    {
                        "Finder": "##.##.#.024.####",
                        "Phoenix Contact": "29#####",
                        "Weidmüller": "11#####000",
                        "Omron": "G2RV-SL##@-@P",
                        "WAGO": "788-###/0##-0##",
                        "Schneider Electric": "RSB#A##BD@",
                    },
                    (
                        s(CONTACTS, "contacts", "1 CO", "2 CO", "4 CO"),
                        s(SWITCHING_CURRENT, "current", "6 A", "8 A", "10 A", "16 A"),
                        s(COIL_VOLTAGE, "coil", "24 V DC", "230 V AC", "12 V DC", "24 V AC/DC"),
                        s(WIDTH, "width", "6.2 mm", "13 mm", "15.5 mm", "27 mm"),
                        PUSH_IN,
                        DIN,
                    ),
                    (650, 4_800),
                    (18, 90),
                ),
            ),
        ),
        Subcategory(
            N_("Solid-state relays"),
            "solid-state-relays",
            (
                Kind(
                    "Solid-state relay {poles}, {current}, {load}",
                    "Wear-free semiconductor relay for heaters and frequent switching: {current} at "
                    "{load}, {control} control, {mode} switching.",
                    {
                        "Omron": "G3NA-2##B-#@",
                        "Finder": "77.##.8.###.8#50",
                        "Schneider Electric": "SSP1A4##BD@#",
                        "Eaton": "SS###-AC-LD#",
                        "Phoenix Contact": "29#####",
                    },
                    (
                        s(POLES, "poles", "1-pole", "3-pole"),
                        s(LOAD_VOLTAGE, "load", "24–280 V AC", "48–600 V AC", "24–510 V AC"),
                        s(CONTROL_VOLTAGE, "control", "3–32 V DC", "90–280 V AC"),
                        s(SWITCHING_MODE, "mode", "zero-cross", "random turn-on"),
                        CABINET_TEMP,
                    ),
                    (2_200, 18_000),
                    (60, 450),
                    ladder(
                        ((SWITCHING_CURRENT, "current"),),
                        ("10 A",),
                        ("25 A",),
                        ("40 A",),
                        ("50 A",),
                        ("75 A",),
                        ("90 A",),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Timer relays"),
            "timer-relays",
            (
                Kind(
                    "Timer relay, {function}, {time}",
                    "{function} timer relay with {contacts} output, time range {time} and a universal "
                    "{supply} supply. {width} DIN-rail housing.",
                    {
                        "Finder": "80.##.0.240.####",
                        "Siemens": "3RP25##-1@W3#",
                        "Omron": "H3DT-@##-#",
                        "ABB": "1SVR7#####R0#00",
                        "Schneider Electric": "RE22R#@##MR",
                        "Eaton": "ETR4-##-@#",
                    },
                    (
                        s(
                            FUNCTION,
                            "function",
                            "On-delay",
                            "Off-delay",
                            "Multifunction",
                            "Star-delta",
                        ),
                        s(TIME_RANGE, "time", "0.05 s … 100 h", "0.1 s … 10 min", "0.1 s … 300 h"),
                        s(CONTACTS, "contacts", "1 CO", "2 CO"),
                        s(SUPPLY_VOLTAGE, "supply", "24–240 V AC/DC", "12–240 V AC/DC"),
                        s(WIDTH, "width", "17.5 mm", "22.5 mm"),
                        DIN,
                    ),
                    (2_900, 16_000),
                    (60, 140),
                ),
            ),
        ),
        Subcategory(
            N_("Overload relays"),
            "overload-relays",
            (
                Kind(
                    "Thermal overload relay {range}, {class}",
                    "Thermal overload relay for direct mounting on contactors, current setting range "
                    "{range}, {class}, manual and automatic reset.",
                    {
                        "Siemens": "3RU21##-#@B0",
                        "Schneider Electric": "LRD##@#",
                        "ABB": "TF42-##-##",
                        "Eaton": "ZB##-##-#",
                        "Allen-Bradley": "193-T1A@##-#",
                    },
                    (
                        s(TRIP_CLASS, "class", "Class 10", "Class 10A", "Class 20"),
                        CABINET_IP,
                        CABINET_TEMP,
                    ),
                    (3_200, 14_000),
                    (120, 320),
                    MOTOR_RANGES,
                ),
            ),
        ),
    ),
)

CABLES = TopCategory(
    N_("Cables & connectors"),
    "cables-connectors",
    N_("Sensor and control cables, Ethernet cables, terminal blocks and heavy-duty connectors."),
    (
        Subcategory(
            N_("Sensor & actuator cables"),
            "sensor-actuator-cables",
            (
                Kind(
                    "Sensor cable {connector}, {length}, {sheath}",
                    "Pre-assembled cordset with a {connector} connector and open wire end, {cores}, "
                    "{length} {sheath} jacket. Overmolded and vibration-proof, {ip}.",
                    {
                        "Murrelektronik": "7000-1#0##-6####",
                        "Phoenix Contact": "14#####",
                        "Lapp": "2225####",
                        "Balluff": "BCC0##@#",
                        "Turck": "RK4.4T-#/S###",
                        "SICK": "YF2A14-###@B3XLEAX",
                        "ifm": "EVC####",
                        "Weidmüller": "19#####000",
                    },
                    (
                        s(
                            CONNECTOR,
                            "connector",
                            "M12 female straight, A-coded, 4-pin",
                            "M12 female angled, A-coded, 4-pin",
                            "M8 female straight, 3-pin",
                            "M12 female straight, A-coded, 5-pin",
                        ),
                        s(CORES, "cores", "3 × 0.25 mm²", "4 × 0.34 mm²", "5 × 0.34 mm²"),
                        s(SHEATH, "sheath", "PUR, halogen-free", "PVC", "PUR, drag-chain rated"),
                        s(PROTECTION_RATING, "ip", "IP67", "IP68"),
                        FIELD_TEMP,
                    ),
                    (900, 6_800),
                    (20, 900),
                    LENGTHS,
                ),
            ),
        ),
        Subcategory(
            N_("Control cables"),
            "control-cables",
            (
                Kind(
                    "Control cable {cores}, {shielding}, {length} drum",
                    "Flexible multi-core control cable {cores} with {sheath} outer sheath, {shielding}, "
                    "rated {voltage}. Numbered cores with green-yellow protective earth.",
                    {"Lapp": "11#####", "Helukabel": "#####-{length_code}"},
                    (
                        s(
                            CORES,
                            "cores",
                            "3G0.75",
                            "4G1.5",
                            "5G1.5",
                            "7G1",
                            "12G1",
                            "18G1.5",
                            "4G2.5",
                            "5G4",
                        ),
                        s(SHEATH, "sheath", "PVC, grey", "PUR, black", "PVC, oil-resistant"),
                        s(SHIELDING, "shielding", "unshielded", "copper braid shield"),
                        s(RATED_VOLTAGE, "voltage", "300/500 V", "450/750 V", "0.6/1 kV"),
                    ),
                    (6_500, 120_000),
                    (3_500, 90_000),
                    ladder(
                        ((LENGTH, "length"), (None, "length_code")),
                        ("50 m", "50"),
                        ("100 m", "100"),
                        ("250 m", "250"),
                        ("500 m", "500"),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Industrial Ethernet cables"),
            "industrial-ethernet-cables",
            (
                Kind(
                    "Industrial Ethernet cable {category}, {connector}, {length}",
                    "Patch cable for PROFINET and EtherNet/IP networks: {category}, {connector}, "
                    "{length}, {sheath} jacket in {color}.",
                    {
                        "Phoenix Contact": "14#####",
                        "Siemens": "6XV1 8##-#@@##",
                        "Murrelektronik": "7700-4####-7#####",
                        "Lapp": "2170####",
                        "Harting": "09 47 4# ####",
                        "Weidmüller": "18#####000",
                    },
                    (
                        s(CABLE_CATEGORY, "category", "Cat 5e", "Cat 6A"),
                        s(
                            CONNECTOR,
                            "connector",
                            "RJ45 to RJ45",
                            "M12 D-coded to RJ45",
                            "M12 X-coded to RJ45",
                            "M12 D-coded to M12 D-coded",
                        ),
                        s(SHEATH, "sheath", "PUR", "PVC", "PUR, drag-chain rated"),
                        s(COLOR, "color", "green", "teal", "black"),
                    ),
                    (1_400, 9_900),
                    (40, 1_200),
                    LENGTHS,
                ),
            ),
        ),
        Subcategory(
            N_("Terminal blocks"),
            "terminal-blocks",
            (
                Kind(
                    "{type} terminal block {cross}, {tech}, pack of {pack}",
                    "{type} DIN-rail terminal block for {cross} conductors with {tech} connection, "
                    "{width} wide, colour {color}. Sold in packs of {pack}.",
                    {
                        "Phoenix Contact": "3######",
                        "Weidmüller": "1######000",
                        "WAGO": "20##-1###",
                        "Siemens": "8WH10##-0@F0#",
                        "ABB": "1SNK50####R0000",
                    },
                    (
                        s(
                            TYPE,
                            "type",
                            "Feed-through",
                            "Ground (PE)",
                            "Double-level",
                            "Fuse",
                            "Disconnect",
                        ),
                        s(CONNECTION, "tech", "push-in", "screw", "spring-cage"),
                        s(COLOR, "color", "grey", "blue", "green-yellow"),
                        s(PACK_QUANTITY, "pack", "50", "100"),
                    ),
                    (1_800, 16_000),
                    (150, 1_900),
                    ladder(
                        ((CROSS_SECTION, "cross"), (WIDTH, "width")),
                        ("1.5 mm²", "4.2 mm"),
                        ("2.5 mm²", "5.2 mm"),
                        ("4 mm²", "6.2 mm"),
                        ("6 mm²", "8.2 mm"),
                        ("10 mm²", "10.2 mm"),
                        ("16 mm²", "12.2 mm"),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Heavy-duty connectors"),
            "heavy-duty-connectors",
            (
                Kind(
                    "Heavy-duty connector {size}, {contacts} contacts, {housing}",
                    "Rectangular industrial connector, size {size} with {contacts} contacts rated "
                    "{current} / {voltage}, {housing}, {ip} when mated.",
                    {
                        "Harting": "09 3# 0## 0###",
                        "Phoenix Contact": "16#####",
                        "Weidmüller": "16#####000",
                        "Lapp": "1#####0#",
                    },
                    (
                        s(
                            HOUSING,
                            "housing",
                            "hood, top entry, M25",
                            "bulkhead housing, single lever",
                            "surface-mount housing, double lever",
                        ),
                        s(RATED_CURRENT, "current", "16 A", "35 A"),
                        s(RATED_VOLTAGE, "voltage", "500 V", "830 V"),
                        s(PROTECTION_RATING, "ip", "IP65", "IP66"),
                    ),
                    (2_600, 21_000),
                    (90, 650),
                    ladder(
                        ((SIZE, "size"), (CONTACTS, "contacts")),
                        ("H6B", "6 + PE"),
                        ("H10B", "10 + PE"),
                        ("H16B", "16 + PE"),
                        ("H24B", "24 + PE"),
                    ),
                ),
            ),
        ),
    ),
)

POWER = TopCategory(
    N_("Power supplies"),
    "power-supplies",
    N_("DIN-rail power supplies, DC UPS, DC/DC converters and control transformers."),
    (
        Subcategory(
            N_("DIN-rail power supplies"),
            "din-rail-power-supplies",
            (
                Kind(
                    "DIN-rail power supply 24 V DC, {current}, {power}",
                    "Switched-mode power supply for control cabinets: 24 V DC at {current} ({power}) from "
                    "{input}, {efficiency} efficiency, {width} wide. Power boost for starting loads.",
                    {
                        "Mean Well": "@DR-###-24#",
                        "Phoenix Contact": "29#####",
                        "Siemens": "6EP3 33#-#S@0#-0AY0",
                        "Weidmüller": "24#####000",
                        "Murrelektronik": "85####",
                        "Omron": "S8VK-G#####",
                        "Schneider Electric": "ABLS1A#####",
                        "WAGO": "2787-####",
                    },
                    (
                        s(
                            INPUT_VOLTAGE,
                            "input",
                            "100–240 V AC",
                            "3 × 400–500 V AC",
                            "85–264 V AC / 120–370 V DC",
                        ),
                        s(OUTPUT_VOLTAGE, "voltage", "24 V DC"),
                        s(EFFICIENCY, "efficiency", "89 %", "92 %", "93 %", "95 %"),
                        DIN,
                        FIELD_TEMP,
                    ),
                    (2_900, 64_000),
                    (130, 2_600),
                    ladder(
                        ((OUTPUT_CURRENT, "current"), (OUTPUT_POWER, "power"), (WIDTH, "width")),
                        ("1.3 A", "30 W", "18 mm"),
                        ("2.5 A", "60 W", "22.5 mm"),
                        ("3.8 A", "90 W", "32 mm"),
                        ("5 A", "120 W", "40 mm"),
                        ("10 A", "240 W", "40 mm"),
                        ("20 A", "480 W", "60 mm"),
                        ("40 A", "960 W", "110 mm"),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("DC UPS & buffer modules"),
            "dc-ups",
            (
                Kind(
                    "DC UPS 24 V DC, {current}, {storage}",
                    "Uninterruptible 24 V DC supply that bridges mains failures {buffer} using {storage}. "
                    "Status via {comm}.",
                    {
                        "Phoenix Contact": "232####",
                        "Siemens": "6EP4 1##-3@B0#-0AY0",
                        "Mean Well": "DRC-###@",
                        "Murrelektronik": "85###-#",
                        "Weidmüller": "25#####000",
                    },
                    (
                        s(BUFFER_TIME, "buffer", "up to 30 s", "up to 5 min", "up to 2 h"),
                        s(
                            ENERGY_STORAGE,
                            "storage",
                            "supercapacitors",
                            "lead-acid battery",
                            "LiFePO4 battery",
                        ),
                        s(
                            COMMUNICATION,
                            "comm",
                            "signal contacts",
                            "USB and signal contacts",
                            "IO-Link",
                        ),
                        DIN,
                    ),
                    (14_000, 98_000),
                    (300, 2_900),
                    ladder(
                        ((OUTPUT_CURRENT, "current"),), ("5 A",), ("10 A",), ("20 A",), ("40 A",)
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("DC/DC converters"),
            "dc-dc-converters",
            (
                Kind(
                    "DC/DC converter {input} to {voltage}, {power}",
                    "DIN-rail DC/DC converter from {input} to {voltage} with {power} output and "
                    "{isolation} galvanic isolation.",
                    {
                        "Mean Well": "DDR-##@-24#",
                        "Phoenix Contact": "232####",
                        "Weidmüller": "20#####000",
                        "Murrelektronik": "86####",
                    },
                    (
                        s(
                            INPUT_VOLTAGE,
                            "input",
                            "9–36 V DC",
                            "18–75 V DC",
                            "24 V DC",
                            "36–160 V DC",
                        ),
                        s(OUTPUT_VOLTAGE, "voltage", "5 V DC", "12 V DC", "24 V DC", "±15 V DC"),
                        s(ISOLATION, "isolation", "1.5 kV DC", "3 kV AC"),
                        DIN,
                        FIELD_TEMP,
                    ),
                    (3_200, 36_000),
                    (90, 900),
                    ladder(
                        ((OUTPUT_POWER, "power"),),
                        ("10 W",),
                        ("30 W",),
                        ("60 W",),
                        ("120 W",),
                        ("240 W",),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Control transformers"),
            "control-transformers",
            (
                Kind(
                    "Control transformer {power}, {primary} / {secondary}",
                    "Single-phase safety isolating transformer for control circuits: {power}, primary "
                    "{primary}, secondary {secondary}, {ip}.",
                    {
                        "Siemens": "4AM####-#@@00-0EA0",
                        "Schneider Electric": "ABL6TS##@#",
                        "Eaton": "STZ#-@##",
                        "ABB": "1SAP1#####R####",
                    },
                    (
                        s(
                            PRIMARY_VOLTAGE,
                            "primary",
                            "230/400 V AC",
                            "400 V AC ±5 %",
                            "208–600 V AC",
                        ),
                        s(SECONDARY_VOLTAGE, "secondary", "24 V AC", "230 V AC", "2 × 115 V AC"),
                        s(PROTECTION_RATING, "ip", "IP00", "IP20"),
                    ),
                    (4_500, 42_000),
                    (1_400, 14_500),
                    ladder(
                        ((OUTPUT_POWER, "power"),),
                        ("63 VA",),
                        ("100 VA",),
                        ("160 VA",),
                        ("250 VA",),
                        ("400 VA",),
                        ("630 VA",),
                        ("1000 VA",),
                    ),
                ),
            ),
        ),
    ),
)

PROTECTION = TopCategory(
    N_("Circuit protection"),
    "circuit-protection",
    N_("Circuit breakers, residual current devices, motor protection, fuses and surge protection."),
    (
        Subcategory(
            N_("Miniature circuit breakers"),
            "miniature-circuit-breakers",
            (
                Kind(
                    "Miniature circuit breaker {poles}, {char} {current}, {capacity}",
                    "Modular circuit breaker protecting cables against overload and short circuit: "
                    "{poles}, {current} rated current, tripping characteristic {char}, breaking capacity "
                    "{capacity}.",
                    {
                        "Siemens": "5SY6###-7#",
                        "ABB": "2CDS25#001R0###",
                        "Schneider Electric": "A9F7####",
                        "Eaton": "PLSM-@##/#-MW",
                    },
                    (
                        s(POLES, "poles", "1P", "1P+N", "2P", "3P", "3P+N", "4P"),
                        s(TRIP_CHARACTERISTIC, "char", "B", "C", "D"),
                        s(BREAKING_CAPACITY, "capacity", "6 kA", "10 kA", "15 kA"),
                        s(RATED_VOLTAGE, "voltage", "230/400 V AC"),
                        DIN,
                    ),
                    (900, 14_500),
                    (110, 520),
                    ladder(
                        ((RATED_CURRENT, "current"),),
                        ("2 A",),
                        ("4 A",),
                        ("6 A",),
                        ("10 A",),
                        ("13 A",),
                        ("16 A",),
                        ("20 A",),
                        ("25 A",),
                        ("32 A",),
                        ("40 A",),
                        ("63 A",),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Residual current devices"),
            "residual-current-devices",
            (
                Kind(
                    "Residual current circuit breaker {poles}, {current}, {residual}, {type}",
                    "RCCB for protection against electric shock and fire: {poles}, {current} rated "
                    "current, {residual} rated residual current, {type} for AC and pulsating DC fault "
                    "currents.",
                    {
                        "Siemens": "5SV####-6",
                        "ABB": "2CSF20####R####",
                        "Schneider Electric": "A9R1####",
                        "Eaton": "PXF-##/#/##-@",
                    },
                    (
                        s(POLES, "poles", "2P", "4P"),
                        s(RESIDUAL_CURRENT, "residual", "10 mA", "30 mA", "100 mA", "300 mA"),
                        s(TYPE, "type", "type A", "type AC", "type F", "type B"),
                        DIN,
                    ),
                    (3_900, 38_000),
                    (200, 480),
                    ladder(
                        ((RATED_CURRENT, "current"),),
                        ("16 A",),
                        ("25 A",),
                        ("40 A",),
                        ("63 A",),
                        ("80 A",),
                        ("100 A",),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Motor protection circuit breakers"),
            "motor-protection-circuit-breakers",
            (
                Kind(
                    "Motor protection circuit breaker {range}, {capacity}",
                    "Motor starter protector with adjustable thermal overload release ({range}), "
                    "magnetic short-circuit release and {capacity} breaking capacity. {aux} auxiliary "
                    "contacts.",
                    {
                        "Siemens": "3RV20##-#@A10",
                        "ABB": "MS1##-##-#",
                        "Schneider Electric": "GV2ME##@#",
                        "Eaton": "PKZM0-##-@#",
                        "Allen-Bradley": "140M-C#E-@##",
                    },
                    (
                        s(BREAKING_CAPACITY, "capacity", "50 kA at 400 V", "100 kA at 400 V"),
                        s(AUXILIARY_CONTACTS, "aux", "1 NO + 1 NC", "2 NO"),
                        s(TRIP_CLASS, "class", "Class 10"),
                        CABINET_IP,
                    ),
                    (4_200, 26_000),
                    (260, 560),
                    MOTOR_RANGES,
                ),
            ),
        ),
        Subcategory(
            N_("Fuses"),
            "fuses",
            (
                Kind(
                    "Cylindrical fuse {size}, {current} {category}, {voltage}, pack of 10",
                    "Cartridge fuse link {size}, {current}, utilization category {category}, rated "
                    "{voltage} with {capacity} breaking capacity.",
                    {
                        "Eaton": "C#0G##-#",
                        "Siemens": "3NW6###-#",
                        "Schneider Electric": "DF2CA##@#",
                        "ABB": "E9F#0 GG##-#",
                    },
                    (
                        s(SIZE, "size", "10 × 38 mm", "14 × 51 mm", "22 × 58 mm"),
                        s(UTILIZATION_CATEGORY, "category", "gG", "aM", "gPV"),
                        s(
                            RATED_VOLTAGE,
                            "voltage",
                            "400 V AC",
                            "500 V AC",
                            "690 V AC",
                            "1000 V DC",
                        ),
                        s(BREAKING_CAPACITY, "capacity", "100 kA", "120 kA"),
                        s(PACK_QUANTITY, "pack", "10"),
                    ),
                    (900, 7_800),
                    (80, 480),
                    ladder(
                        ((RATED_CURRENT, "current"),),
                        ("2 A",),
                        ("4 A",),
                        ("6 A",),
                        ("10 A",),
                        ("16 A",),
                        ("20 A",),
                        ("25 A",),
                        ("32 A",),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Surge protection"),
            "surge-protection",
            (
                Kind(
                    "Surge protective device {spd}, {poles}, {voltage}",
                    "Pluggable surge arrester ({spd}) for power distribution: {poles}, maximum continuous "
                    "voltage {voltage}, {discharge} nominal discharge current, protection level {level}.",
                    {
                        "Phoenix Contact": "29#####",
                        "Weidmüller": "2######000",
                        "ABB": "2CTB8#####R####",
                        "Siemens": "5SD7###-#",
                        "Schneider Electric": "A9L1####",
                    },
                    (
                        s(TYPE, "spd", "Type 1+2", "Type 2", "Type 3"),
                        s(POLES, "poles", "1P", "3P", "3P+N", "4P"),
                        s(RATED_VOLTAGE, "voltage", "275 V AC", "320 V AC", "385 V AC"),
                        s(DISCHARGE_CURRENT, "discharge", "12.5 kA", "20 kA", "40 kA"),
                        s(PROTECTION_LEVEL, "level", "≤ 1.3 kV", "≤ 1.5 kV", "≤ 2.5 kV"),
                        DIN,
                    ),
                    (3_900, 68_000),
                    (90, 900),
                ),
            ),
        ),
    ),
)

PNEUMATICS = TopCategory(
    N_("Pneumatics"),
    "pneumatics",
    N_("Pneumatic cylinders, solenoid valves, air preparation, tubing and fittings."),
    (
        Subcategory(
            N_("Pneumatic cylinders"),
            "pneumatic-cylinders",
            (
                Kind(
                    "Pneumatic cylinder {standard}, Ø{bore}, stroke {stroke}",
                    "Double-acting cylinder to {standard}, piston diameter {bore}, stroke {stroke}, "
                    "{cushioning} cushioning and {sensing} for position sensing.",
                    {
                        "Festo": "DSBC-##-###-PPVA-N#",
                        "SMC": "C96SDB##-###C",
                        "Parker Hannifin": "P1F-S###MS-0###",
                    },
                    (
                        s(STANDARD, "standard", "ISO 15552", "ISO 6432", "ISO 21287"),
                        s(
                            STROKE,
                            "stroke",
                            "25 mm",
                            "50 mm",
                            "80 mm",
                            "100 mm",
                            "160 mm",
                            "200 mm",
                            "320 mm",
                        ),
                        s(CUSHIONING, "cushioning", "adjustable pneumatic", "elastic"),
                        s(POSITION_SENSING, "sensing", "a magnetic piston", "no magnet"),
                        PNEUMATIC_PRESSURE,
                        FIELD_TEMP,
                    ),
                    (3_800, 62_000),
                    (180, 9_000),
                    ladder(
                        ((PISTON_DIAMETER, "bore"),),
                        ("16 mm",),
                        ("20 mm",),
                        ("25 mm",),
                        ("32 mm",),
                        ("40 mm",),
                        ("50 mm",),
                        ("63 mm",),
                        ("80 mm",),
                        ("100 mm",),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Solenoid valves"),
            "solenoid-valves",
            (
                Kind(
                    "Solenoid valve {function}, {port}, {coil}",
                    "Pilot-operated {function} valve, port size {port}, {flow} standard nominal flow, "
                    "{coil} solenoid with {connection}.",
                    {
                        "Festo": "VUVG-L1#-M52-@T-G1#-1P#",
                        "SMC": "SY5###-5LZD-C#",
                        "Parker Hannifin": "B5##BB5##C",
                    },
                    (
                        s(
                            VALVE_FUNCTION,
                            "function",
                            "5/2-way monostable",
                            "5/2-way bistable",
                            "5/3-way closed centre",
                            "3/2-way normally closed",
                        ),
                        s(FLOW_RATE, "flow", "500 l/min", "800 l/min", "1300 l/min", "2200 l/min"),
                        s(COIL_VOLTAGE, "coil", "24 V DC", "230 V AC"),
                        s(
                            CONNECTION,
                            "connection",
                            "plug socket form C",
                            "M8 connector",
                            "plug socket form A",
                        ),
                        s(OPERATING_PRESSURE, "pressure", "1.5 … 10 bar", "-0.9 … 10 bar"),
                    ),
                    (4_500, 29_000),
                    (80, 600),
                    ladder(
                        ((PORT_SIZE, "port"),), ("M5",), ("G1/8",), ("G1/4",), ("G3/8",), ("G1/2",)
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Air preparation units"),
            "air-preparation-units",
            (
                Kind(
                    "{components} {port}, {filter}",
                    "Compressed-air preparation ({components}) with {port} ports, {flow} flow, {filter} "
                    "filter element and {range} pressure regulation.",
                    {
                        "Festo": "MS#-LFR-#/#-D#-ERV-AS",
                        "SMC": "AW##00-F0#-@",
                        "Parker Hannifin": "P3@-##-#@A",
                    },
                    (
                        s(
                            COMPONENTS,
                            "components",
                            "Filter regulator",
                            "Filter, regulator and lubricator",
                            "Filter regulator with shut-off valve",
                        ),
                        s(FILTER_GRADE, "filter", "5 µm", "40 µm", "0.01 µm"),
                        s(REGULATION_RANGE, "range", "0.5 … 7 bar", "0.5 … 12 bar"),
                    ),
                    (5_200, 48_000),
                    (300, 3_800),
                    ladder(
                        ((PORT_SIZE, "port"), (FLOW_RATE, "flow")),
                        ("G1/8", "700 l/min"),
                        ("G1/4", "1400 l/min"),
                        ("G3/8", "2800 l/min"),
                        ("G1/2", "4600 l/min"),
                        ("G3/4", "7000 l/min"),
                        ("G1", "9500 l/min"),
                    ),
                ),
            ),
        ),
        Subcategory(
            N_("Tubing & fittings"),
            "tubing-fittings",
            (
                Kind(
                    "Pneumatic tubing {diameter}, {material}, {length}",
                    "Flexible {material} compressed-air tubing, outer diameter {diameter}, {color}, "
                    "supplied as a {length}.",
                    {"Festo": "PUN-H-#X#-@@#", "SMC": "TU0###@-#0", "Parker Hannifin": "PE-##/#-@"},
                    (
                        s(MATERIAL, "material", "polyurethane", "polyamide", "polyethylene"),
                        s(LENGTH, "length", "25 m roll", "50 m roll", "100 m roll"),
                        s(COLOR, "color", "blue", "black", "transparent", "silver"),
                        PNEUMATIC_PRESSURE,
                    ),
                    (1_900, 16_000),
                    (300, 5_500),
                    ladder(
                        ((TUBE_DIAMETER, "diameter"),),
                        ("4 mm",),
                        ("6 mm",),
                        ("8 mm",),
                        ("10 mm",),
                        ("12 mm",),
                    ),
                ),
                Kind(
                    "Push-in fitting {type}, {diameter}, {thread}, pack of 10",
                    "{type} push-in fitting for {diameter} tubing, {thread} connection, nickel-plated "
                    "brass and polymer body. Pack of 10.",
                    {
                        "Festo": "NPQH-@-G##-Q#-P10",
                        "SMC": "KQ2@##-0#AS",
                        "Parker Hannifin": "3###60##",
                    },
                    (
                        s(TYPE, "type", "Straight", "Elbow", "Tee", "Y-connector", "Bulkhead"),
                        s(THREAD, "thread", "M5", "G1/8", "G1/4", "G3/8", "tube to tube"),
                        s(PACK_QUANTITY, "pack", "10"),
                        PNEUMATIC_PRESSURE,
                    ),
                    (1_200, 9_500),
                    (40, 350),
                    ladder(
                        ((TUBE_DIAMETER, "diameter"),),
                        ("4 mm",),
                        ("6 mm",),
                        ("8 mm",),
                        ("10 mm",),
                        ("12 mm",),
                    ),
                ),
            ),
        ),
    ),
)

CATALOG: tuple[TopCategory, ...] = (
    PLCS,
    DRIVES,
    SENSORS,
    HMIS,
    RELAYS,
    CABLES,
    POWER,
    PROTECTION,
    PNEUMATICS,
)

# Second sentences appended to some descriptions, so descriptions of one kind differ a little.
CLOSINGS: tuple[str, ...] = (
    "",
    "",
    "Suitable for machine building, packaging and process applications.",
    "CE marked and cULus listed.",
    "RoHS compliant; delivered with mounting instructions.",
    "Proven in harsh industrial environments.",
)


# -- Checkout: shipping, coupons, automatic discounts ------------------------------------------

# Shipping from the warehouse in China. Zone and method names are English source strings,
# translated where shown. "world" takes every country no other zone lists.
SHIPPING_ZONES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("china", N_("China"), ("CN",)),
    (
        "asia",
        N_("Asia and Oceania"),
        ("JP", "KR", "HK", "MO", "TW", "SG", "MY", "TH", "VN", "PH", "ID", "IN", "AU", "NZ"),
    ),
    (
        "europe",
        N_("Europe"),
        (
            "AT",
            "BE",
            "BG",
            "CH",
            "CY",
            "CZ",
            "DE",
            "DK",
            "EE",
            "ES",
            "FI",
            "FR",
            "GB",
            "GR",
            "HR",
            "HU",
            "IE",
            "IS",
            "IT",
            "LI",
            "LT",
            "LU",
            "LV",
            "MT",
            "NL",
            "NO",
            "PL",
            "PT",
            "RO",
            "SE",
            "SI",
            "SK",
        ),
    ),
    ("north-america", N_("North America"), ("US", "CA", "MX")),
    ("world", N_("Rest of the world"), ()),
)
# (code, name, carrier); position follows this order.
SHIPPING_METHODS: tuple[tuple[str, str, str], ...] = (
    ("standard", N_("Standard post"), "China Post"),
    ("express", N_("Express courier"), "DHL Express"),
    ("freight", N_("Freight"), "Kuehne+Nagel"),
)
# Parcels: standard up to 30 kg, express up to 70 kg; freight takes any weight, so every
# order has at least one way to go.
PARCEL_MAX_GRAMS = {"standard": 30_000, "express": 70_000, "freight": None}
# USD cents per zone and method: (base, per started kg, free from subtotal or None).
SHIPPING_RATES: dict[str, dict[str, tuple[int, int, int | None]]] = {
    "china": {
        "standard": (300, 50, 5_000),
        "express": (800, 150, None),
        "freight": (4_000, 30, None),
    },
    "asia": {
        "standard": (800, 300, 30_000),
        "express": (2_500, 700, None),
        "freight": (12_000, 120, None),
    },
    "europe": {
        "standard": (1_200, 400, 50_000),
        "express": (3_500, 900, None),
        "freight": (18_000, 160, None),
    },
    "north-america": {
        "standard": (1_400, 450, 50_000),
        "express": (3_800, 1_000, None),
        "freight": (20_000, 180, None),
    },
    "world": {
        "standard": (1_800, 600, 80_000),
        "express": (4_500, 1_200, None),
        "freight": (26_000, 250, None),
    },
}
# (code, kind, value, min subtotal, usage limit in total, per account).
COUPONS: tuple[tuple[str, str, int, int, int | None, int], ...] = (
    ("WELCOME10", "percent", 10, 5_000, None, 1),
    ("SAVE20", "fixed", 2_000, 20_000, 1_000, 1),
)
# (name, percent, min subtotal). No "%" in names: gettext tools would take it for a placeholder.
AUTO_DISCOUNTS: tuple[tuple[str, int, int], ...] = (
    (N_("Volume discount for orders over 1,000 USD"), 5, 100_000),
)
